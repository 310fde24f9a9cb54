import { NotificationService } from '@kith/gen/kith/user/v1/notification_pb.js';
import { UserAdminService } from '@kith/gen/kith/user/v1/user_admin_pb.js';
import { UserService } from '@kith/gen/kith/user/v1/user_pb.js';
import { defineService, rpc } from '@kith/runtime';
import { userMigrations } from './migrations/index.js';
import { profilesFromAuthEvents } from './profiles/from-auth-events.js';

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

/** Profiles, settings, the follow graph, blocks, mutes and notifications (its own issue). */
export const userModule = defineService({
  name: 'user',
  services: [UserService, NotificationService, UserAdminService],
  publicMethods: [rpc(UserService, 'getProfile'), rpc(UserService, 'getProfiles')],
  requiredRoles: { [UserAdminService.typeName]: 'admin' },
  apiKeyScopes,
  migrations: userMigrations,
  create: () => ({ consumers: [profilesFromAuthEvents] }),
});
