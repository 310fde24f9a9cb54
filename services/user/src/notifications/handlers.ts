import type { ServiceImpl } from '@connectrpc/connect';
import type { NotificationService } from '@kith/gen/kith/user/v1/notification_pb.js';
import { signedInCaller } from '@kith/runtime';
import type { UserApp } from '../app.js';
import { listNotifications, markRead, unreadCount } from './inbox.js';
import { getPreferences, updatePreferences } from './preference-changes.js';

/** The caller's inbox and delivery preferences (push devices are the push area's). */
export function notificationHandlers(
  app: UserApp,
): Partial<ServiceImpl<typeof NotificationService>> {
  return {
    async listNotifications(req, ctx) {
      const caller = signedInCaller(app, ctx);
      return listNotifications(app, caller, {
        types: req.types,
        unreadOnly: req.unreadOnly,
        filtered: req.filtered,
        pageSize: req.pageSize,
        pageToken: req.pageToken,
        newerThanPageToken: req.newerThanPageToken,
      });
    },

    async getUnreadCount(_req, ctx) {
      const caller = signedInCaller(app, ctx);
      return unreadCount(app, caller);
    },

    async markRead(req, ctx) {
      const caller = signedInCaller(app, ctx);
      const target =
        req.target.case === 'upToNotificationId'
          ? { upTo: req.target.value }
          : { groupKeys: req.target.value?.groupKeys ?? [] };
      return markRead(app, caller, target);
    },

    async getNotificationPreferences(_req, ctx) {
      const caller = signedInCaller(app, ctx);
      return { preferences: await getPreferences(app, caller) };
    },

    async updateNotificationPreferences(req, ctx) {
      const caller = signedInCaller(app, ctx);
      const preferences = await updatePreferences(app, caller, {
        // Required by validation; present whenever this runs.
        preferences: req.preferences!,
        paths: req.updateMask?.paths ?? [],
        baseVersion: req.baseVersion,
      });
      return { preferences };
    },
  };
}
