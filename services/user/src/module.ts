import { NotificationService } from '@kith/gen/kith/user/v1/notification_pb.js';
import { UserAdminService } from '@kith/gen/kith/user/v1/user_admin_pb.js';
import { UserService } from '@kith/gen/kith/user/v1/user_pb.js';
import { defineService, implement, rpc } from '@kith/runtime';
import type { ServiceContext, ServiceParts } from '@kith/runtime';
import { createUserApp } from './app.js';
import type { UserApp, UserAreaParts } from './app.js';
import type { UserDatabase } from './db/schema.js';
import { graphParts } from './graph/parts.js';
import { lifecycleParts } from './lifecycle/parts.js';
import type { LifecycleOverrides } from './lifecycle/parts.js';
import { userMigrations } from './migrations/index.js';
import { notificationsParts } from './notifications/parts.js';
import { profilesParts } from './profiles/parts.js';
import { pushParts } from './push/parts.js';
import { statsParts } from './stats/parts.js';

/**
 * What an API key may call here. Profile reads (profiles, search, the follower lists a profile
 * shows) need `profile:read`, UpdateProfile `profile:write`, notification reads
 * `notifications:read`. Everything else stays with a signed-in session: follows, follow
 * requests, blocks, mutes and relationships (no scope covers the social graph), settings (a
 * leaked key must not change who may mention the user or make their posts searchable), data
 * export and account deletion, MarkRead and preference changes (no `notifications:write`), and
 * push devices and push receipts (bound to the session that registers them).
 */
const apiKeyScopes = {
  [rpc(UserService, 'getProfile')]: 'profile:read',
  [rpc(UserService, 'getProfiles')]: 'profile:read',
  [rpc(UserService, 'searchUsers')]: 'profile:read',
  [rpc(UserService, 'listFollowers')]: 'profile:read',
  [rpc(UserService, 'listFollowing')]: 'profile:read',
  [rpc(UserService, 'updateProfile')]: 'profile:write',
  [rpc(NotificationService, 'listNotifications')]: 'notifications:read',
  [rpc(NotificationService, 'getUnreadCount')]: 'notifications:read',
  [rpc(NotificationService, 'getNotificationPreferences')]: 'notifications:read',
} as const;

/** The user parts, and the app they were built from (tests reach its database). */
export type UserParts = ServiceParts<UserDatabase> & { app: UserApp };

/**
 * Builds the user service from its areas: each contributes handlers, consumers and daemons.
 * Tests may stand in for the data sagas' missing participants (`lifecycle.participants`).
 */
export function createUserParts(
  ctx: ServiceContext<UserDatabase>,
  overrides: { lifecycle?: LifecycleOverrides } = {},
): UserParts {
  const app = createUserApp(ctx);
  const areas: UserAreaParts[] = [
    profilesParts(app),
    graphParts(app),
    notificationsParts(app),
    pushParts(app),
    lifecycleParts(app, overrides.lifecycle),
    statsParts(app),
  ];
  const closers = areas.flatMap((area) => (area.close ? [area.close] : []));
  return {
    app,
    handlers: [
      implement(UserService, Object.assign({}, ...areas.map((area) => area.user))),
      implement(NotificationService, Object.assign({}, ...areas.map((area) => area.notification))),
      implement(UserAdminService, Object.assign({}, ...areas.map((area) => area.admin))),
    ],
    consumers: areas.flatMap((area) => area.consumers ?? []),
    daemons: areas.flatMap((area) => area.daemons ?? []),
    http: Object.assign({}, ...areas.map((area) => area.http)),
    close: async () => {
      for (const close of closers) await close();
    },
  };
}

/** Profiles, settings, the follow graph, blocks, mutes, notifications, push, export and erasure. */
export const userModule = defineService<UserDatabase>({
  name: 'user',
  services: [UserService, NotificationService, UserAdminService],
  publicMethods: [rpc(UserService, 'getProfile'), rpc(UserService, 'getProfiles')],
  requiredRoles: { [UserAdminService.typeName]: 'admin' },
  apiKeyScopes,
  // A suspended or banned account can still take its data with it. Not deletion: erasing the
  // account would erase the ban with it.
  restrictedMethods: [rpc(UserService, 'requestDataExport'), rpc(UserService, 'getDataExport')],
  migrations: userMigrations,
  create: (ctx) => createUserParts(ctx),
});
