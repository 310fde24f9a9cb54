import type { ServiceImpl } from '@connectrpc/connect';
import type { UserService } from '@kith/gen/kith/user/v1/user_pb.js';
import { InvalidArgumentError } from '@kith/errors';
import { callerOf, signedInCaller } from '@kith/runtime';
import type { UserApp } from '../app.js';
import { getProfile, getProfiles } from './get-profile.js';
import type { ProfileClients } from './internal-clients.js';
import { searchUsers } from './search-users.js';
import { getSettings, updateSettings } from './settings.js';
import { updateProfile } from './update-profile.js';

/** Profiles, settings and search. */
export function profileHandlers(
  app: UserApp,
  clients: ProfileClients,
): Partial<ServiceImpl<typeof UserService>> {
  return {
    async getProfile(req, ctx) {
      const caller = callerOf(app, ctx);
      const lookup =
        req.lookup.case === 'userId'
          ? { userId: req.lookup.value }
          : req.lookup.case === 'username'
            ? { username: req.lookup.value }
            : undefined;
      if (!lookup) {
        throw new InvalidArgumentError([{ field: 'user_id', message: 'user_id or username' }]);
      }
      return { profile: await getProfile(app, caller, lookup) };
    },

    async getProfiles(req, ctx) {
      const caller = callerOf(app, ctx);
      return { profiles: await getProfiles(app, caller, req.userIds) };
    },

    async updateProfile(req, ctx) {
      const caller = signedInCaller(app, ctx);
      if (!req.profile || !req.updateMask) {
        throw new InvalidArgumentError([{ field: 'update_mask', message: 'is required' }]);
      }
      const profile = await updateProfile(app, clients, caller, {
        profile: req.profile,
        paths: req.updateMask.paths,
      });
      return { profile };
    },

    async getSettings(_req, ctx) {
      const caller = signedInCaller(app, ctx);
      return getSettings(app, caller);
    },

    async updateSettings(req, ctx) {
      const caller = signedInCaller(app, ctx);
      if (!req.settings || !req.updateMask) {
        throw new InvalidArgumentError([{ field: 'update_mask', message: 'is required' }]);
      }
      const settings = await updateSettings(app, caller, {
        settings: req.settings,
        paths: req.updateMask.paths,
      });
      return { settings };
    },

    async searchUsers(req, ctx) {
      const caller = signedInCaller(app, ctx);
      return searchUsers(app, caller, {
        query: req.query,
        followingOnly: req.followingOnly,
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      });
    },
  };
}
