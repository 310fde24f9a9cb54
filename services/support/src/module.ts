import { defineService, implement, periodicDaemon, rpc as rpcOf } from '@kith/runtime';
import type { ServiceContext, ServiceParts } from '@kith/runtime';
import { SupportAdminService } from '@kith/gen/kith/support/v1/support_admin_pb.js';
import { SupportService } from '@kith/gen/kith/support/v1/support_pb.js';
import { supportAdminHandlers } from './admin/handlers.js';
import { createSupportApp } from './app.js';
import { checkInHandlers } from './check-ins/handlers.js';
import { purgeEndedCheckIns, runCheckInTimers } from './check-ins/timers.js';
import { createContactsParts } from './contacts/contacts-parts.js';
import type { ContactsOverrides } from './contacts/contacts-parts.js';
import type { SupportApp, SupportClients } from './app.js';
import type { SupportDatabase } from './db/schema.js';
import { onUserErased } from './data/erase.js';
import { onExportRequested } from './data/export.js';
import { exportParts } from './export/export-parts.js';
import { runLadders } from './incidents/escalation.js';
import { incidentHandlers } from './incidents/handlers.js';
import { expireShares } from './incidents/location.js';
import { purgeExpiredIncidentData } from './incidents/retention.js';
import { supportInternalService } from './internal/internal.js';
import { ladderHandlers } from './ladder/handlers.js';
import { supportMigrations } from './migrations/index.js';
import { supportProjections } from './projections/index.js';

const rpc = (method: keyof typeof SupportService.method) => rpcOf(SupportService, method);

/**
 * What an API key may call here. `sos:raise` is granted for RaiseSos alone and `support:write`
 * does not include it, so a panic-button key can raise an SOS and nothing else, and a broader
 * key cannot raise one. A key never touches what decides who learns of an SOS or how it ends:
 * SetSafetyPins and UpdateEscalationLadder need re-auth on a session (which a key has not, and
 * a leaked key must not be able to quieten the safety net), and GetSafetyPinStatus stays with
 * them. GetEscalationLadder is session-only too: it exposes the emergency contacts' phone
 * numbers and e-mail addresses, which a read key must not leak. SupportAdminService is
 * staff-only and never reachable by a key.
 */
const apiKeyScopes = {
  [rpc('raiseSos')]: 'sos:raise',
  [rpc('getIncident')]: 'support:read',
  [rpc('listIncidents')]: 'support:read',
  [rpc('listResponders')]: 'support:read',
  [rpc('getIncidentTimeline')]: 'support:read',
  [rpc('exportIncident')]: 'support:read',
  [rpc('listCheckIns')]: 'support:read',
  [rpc('createHelpRequest')]: 'support:write',
  [rpc('cancelSos')]: 'support:write',
  [rpc('acknowledge')]: 'support:write',
  [rpc('respond')]: 'support:write',
  [rpc('claimResponse')]: 'support:write',
  [rpc('shareLocation')]: 'support:write',
  [rpc('stopSharingLocation')]: 'support:write',
  [rpc('resolve')]: 'support:write',
  [rpc('addIncidentNote')]: 'support:write',
  [rpc('startCheckIn')]: 'support:write',
  [rpc('checkIn')]: 'support:write',
  [rpc('extendCheckIn')]: 'support:write',
  [rpc('cancelCheckIn')]: 'support:write',
  [rpc('requestCheckIn')]: 'support:write',
} as const;

/** How often the ladder runner looks for due steps: a step fires within this of its time. */
export const LADDER_EVERY_MS = 250;
/** How often location shares past their expiry are ended. */
export const SHARE_EXPIRY_EVERY_MS = 5_000;

/** How often due check-in timers (reminder at due_at, miss at grace_until) are looked for. */
export const CHECK_IN_EVERY_MS = 1_000;
/**
 * How often ended incidents and check-ins are checked for retention (locations 30 days,
 * incidents 1 year, check-ins 30 days).
 */
export const RETENTION_EVERY_MS = 60 * 60_000;

/** The support parts, and the app they were built from (tests reach its database). */
export type SupportParts = ServiceParts<SupportDatabase> & { app: SupportApp };

/**
 * Builds the support service. Tests may stand in for the services it asks (`clients`: circle's
 * memberships, moderation's content check and post's media holds) and for the contacts' mailer
 * and SMS sender (`contacts`).
 */
export function createSupportParts(
  ctx: ServiceContext<SupportDatabase>,
  overrides: { clients?: SupportClients; contacts?: ContactsOverrides } = {},
): SupportParts {
  const app = createSupportApp(ctx, overrides);
  const contacts = createContactsParts(app, overrides.contacts);
  const exports = exportParts(app);
  return {
    app,
    handlers: [
      implement(SupportService, {
        ...incidentHandlers(app),
        ...ladderHandlers(app),
        ...checkInHandlers(app),
        ...exports.handlers,
      }),
      implement(SupportAdminService, supportAdminHandlers(app)),
    ],
    consumers: [
      ...supportProjections(),
      // The data sagas (data_events.proto): support's part of an export, and its erasure.
      onExportRequested(app, exports.exports.blobs),
      onUserErased(app, exports.exports.blobs),
    ],
    daemons: [
      supportInternalService(app),
      periodicDaemon({
        name: 'support-ladder',
        everyMs: LADDER_EVERY_MS,
        run: async () => {
          await runLadders(app);
        },
        onError: (err) => app.logger.error({ err }, 'escalation ladder run failed'),
      }),
      periodicDaemon({
        name: 'support-share-expiry',
        everyMs: SHARE_EXPIRY_EVERY_MS,
        run: async () => {
          await expireShares(app);
        },
        onError: (err) => app.logger.error({ err }, 'location share expiry failed'),
      }),
      periodicDaemon({
        name: 'support-check-ins',
        everyMs: CHECK_IN_EVERY_MS,
        run: async () => {
          await runCheckInTimers(app);
        },
        onError: (err) => app.logger.error({ err }, 'check-in timer run failed'),
      }),
      periodicDaemon({
        name: 'support-retention',
        everyMs: RETENTION_EVERY_MS,
        run: async () => {
          const purged = { ...(await purgeExpiredIncidentData(app)), checkIns: 0 };
          purged.checkIns = await purgeEndedCheckIns(app);
          if (purged.stripped + purged.deleted + purged.checkIns > 0) {
            app.logger.info(purged, 'support retention');
          }
        },
        onError: (err) => app.logger.error({ err }, 'incident retention failed'),
      }),
      // The SMS and e-mail relays to emergency contacts.
      ...contacts.daemons,
      // Deletes incident exports used or past their link's expiry.
      ...exports.daemons,
    ],
    // The emergency contacts' opt-out links, the incident exports' download links.
    http: { ...contacts.http, ...exports.http },
    close: () => contacts.close(),
  };
}

/**
 * Help requests and SOS with per-responder states, the escalation ladder (durable, in
 * Postgres) with emergency contacts reached by SMS and e-mail, PINs with the duress rule,
 * location sharing, notes, the incident timeline and its signed exports (JSON, PDF), staff
 * figures, check-in timers; SupportInternalService on the bus.
 */
export const supportModule = defineService<SupportDatabase>({
  name: 'support',
  services: [SupportService, SupportAdminService],
  // Staff RPCs refuse everyone else before their requests are even validated.
  requiredRoles: { [SupportAdminService.typeName]: 'admin' },
  apiKeyScopes,
  migrations: supportMigrations,
  create: (ctx) => createSupportParts(ctx),
});
