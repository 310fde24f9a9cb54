import { NotificationService } from '@kith/gen/kith/user/v1/notification_pb.js';
import { UserService } from '@kith/gen/kith/user/v1/user_pb.js';
import { defineService, rpc } from '@kith/runtime';
import { userMigrations } from './migrations/index.js';
import { profilesFromAuthEvents } from './profiles/from-auth-events.js';

/** Profiles, settings, the follow graph, blocks, mutes and notifications (its own issue). */
export const userModule = defineService({
  name: 'user',
  services: [UserService, NotificationService],
  publicMethods: [rpc(UserService, 'getProfile'), rpc(UserService, 'getProfiles')],
  migrations: userMigrations,
  create: () => ({ consumers: [profilesFromAuthEvents] }),
});
