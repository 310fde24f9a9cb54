import type { Role } from '@kith/context';
import {
  defineService,
  exportBucketDir,
  filesystemBlobStorage,
  implement,
  periodicDaemon,
  rpc,
} from '@kith/runtime';
import type { ServiceContext, ServiceParts } from '@kith/runtime';
import { ModerationAdminService } from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import { ModerationService } from '@kith/gen/kith/moderation/v1/moderation_pb.js';
import { expireActions } from './actions/take-action.js';
import { evidenceDaemon } from './evidence/evidence.js';
import { createModerationApp } from './app.js';
import type { ModerationApp, ModerationClients } from './app.js';
import { onUserErased } from './data/erase.js';
import { onExportRequested } from './data/export.js';
import type { ModerationDatabase } from './db/schema.js';
import { moderationAdminHandlers, moderationHandlers } from './handlers.js';
import { moderationMigrations } from './migrations/index.js';
import { endExpiredSubjectMutes } from './queue/mutes.js';
import { incidentsFromSupport } from './sos/sos.js';
import { staffFromAuthEvents } from './staff/staff.js';
import { checkContentDaemon } from './rules/check-content.js';
import type { Classifier } from './rules/classifier.js';
import { contentEventConsumers } from './rules/content-events.js';
import { ruleRunnerDaemon } from './rules/rule-runner.js';

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

/** How often temporary actions and subject mutes past their end are looked for. */
export const EXPIRY_EVERY_MS = 5_000;

export type ModerationParts = ServiceParts<ModerationDatabase> & { app: ModerationApp };

/** Builds the moderation service; tests may stand in for the services it reads content from. */
export function createModerationParts(
  ctx: ServiceContext<ModerationDatabase>,
  overrides: { clients?: Partial<ModerationClients>; classifier?: Classifier | null } = {},
): ModerationParts {
  const app = createModerationApp(ctx, overrides);
  return {
    app,
    handlers: [
      implement(ModerationService, moderationHandlers(app)),
      implement(ModerationAdminService, moderationAdminHandlers(app)),
    ],
    consumers: [
      staffFromAuthEvents(),
      incidentsFromSupport(ctx.clock),
      ...contentEventConsumers(ctx.clock),
      // The data sagas (data_events.proto): moderation's part of an export, and its erasure.
      onExportRequested(app, filesystemBlobStorage(exportBucketDir(ctx))),
      onUserErased(app),
    ],
    daemons: [
      checkContentDaemon(app),
      ruleRunnerDaemon(app),
      evidenceDaemon(app),
      periodicDaemon({
        name: 'moderation-expiry',
        everyMs: EXPIRY_EVERY_MS,
        run: async () => {
          const actions = await expireActions(app);
          const mutes = await endExpiredSubjectMutes(app);
          if (actions + mutes > 0) app.logger.info({ actions, mutes }, 'moderation expiry');
        },
        onError: (err) => app.logger.error({ err }, 'moderation expiry failed'),
      }),
    ],
  };
}

/**
 * Reports, the moderation event log, queues, actions, strikes and appeals. ModerationService
 * takes no API keys: reports and appeals stay with a signed-in session (review X5).
 * ModerationInternalService (CheckContent) is served over NATS request/reply only, so it is
 * not listed here.
 */
export const moderationModule = defineService<ModerationDatabase>({
  name: 'moderation',
  services: [ModerationService, ModerationAdminService],
  requiredRoles: moderationRoles,
  // Redress for a suspended or banned account: its decisions, their reasons, and the appeal.
  restrictedMethods: [
    rpc(ModerationService, 'listMyActions'),
    rpc(ModerationService, 'getMyAction'),
    rpc(ModerationService, 'listMyStrikes'),
    rpc(ModerationService, 'appeal'),
  ],
  migrations: moderationMigrations,
  create: (ctx) => createModerationParts(ctx),
});
