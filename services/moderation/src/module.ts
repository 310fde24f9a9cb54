import type { Role } from '@kith/context';
import { defineService, rpc } from '@kith/runtime';
import { ModerationAdminService } from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import { ModerationService } from '@kith/gen/kith/moderation/v1/moderation_pb.js';

const staff = (method: keyof typeof ModerationAdminService.method) =>
  rpc(ModerationAdminService, method);

/**
 * The least role of every staff RPC (triage ⊂ moderator ⊂ admin), as its comment in
 * moderation_admin.proto states: the console needs triage, and the methods listed need more.
 * A caller below it gets PermissionDenied before the request is validated. Dismiss of an
 * escalated or SOS-related subject needs moderator too; that depends on the subject, so its
 * handler checks it.
 */
export const moderationRoles = {
  [ModerationAdminService.typeName]: 'triage',
  [staff('reopen')]: 'moderator',
  [staff('takeAction')]: 'moderator',
  [staff('reverseAction')]: 'moderator',
  [staff('muteSubject')]: 'moderator',
  [staff('unmuteSubject')]: 'moderator',
  [staff('muteReporter')]: 'moderator',
  [staff('unmuteReporter')]: 'moderator',
  [staff('listAppeals')]: 'moderator',
  [staff('resolveAppeal')]: 'moderator',
  [staff('listAuditLog')]: 'admin',
  [staff('createRule')]: 'admin',
  [staff('updateRule')]: 'admin',
  [staff('deleteRule')]: 'admin',
} as const satisfies Record<string, Role>;

/**
 * Reports, the moderation event log, queues, actions, strikes and appeals (its own issue).
 * ModerationService takes no API keys: reports and appeals stay with a signed-in session
 * (review X5). ModerationInternalService (CheckContent) is served over NATS request/reply
 * only, so it is not listed here.
 */
export const moderationModule = defineService({
  name: 'moderation',
  services: [ModerationService, ModerationAdminService],
  requiredRoles: moderationRoles,
  migrations: {},
  create: () => ({}),
});
