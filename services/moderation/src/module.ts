import { defineService } from '@kith/runtime';
import { ModerationAdminService } from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import { ModerationService } from '@kith/gen/kith/moderation/v1/moderation_pb.js';

/** Reports, the moderation event log, queues, actions, strikes and appeals (its own issue). */
export const moderationModule = defineService({
  name: 'moderation',
  services: [ModerationService, ModerationAdminService],
  // The least staff role; methods that need more (moderator, admin) check it in their handler.
  requiredRoles: { [ModerationAdminService.typeName]: 'triage' },
  migrations: {},
  create: () => ({}),
});
