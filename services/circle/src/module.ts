import {
  defineService,
  exportBucketDir,
  filesystemBlobStorage,
  implement,
  periodicDaemon,
  rpc as rpcOf,
} from '@kith/runtime';
import type { ServiceContext, ServiceParts } from '@kith/runtime';
import { CircleAdminService } from '@kith/gen/kith/circle/v1/circle_admin_pb.js';
import { CircleService } from '@kith/gen/kith/circle/v1/circle_pb.js';
import { circleAdminHandlers } from './admin/handlers.js';
import { createCircleApp } from './app.js';
import { liftExpiredBans } from './bans/bans.js';
import type { CircleApp } from './app.js';
import { circleHandlers } from './circles/handlers.js';
import { circleClients } from './circles/internal-clients.js';
import type { CircleClients } from './circles/internal-clients.js';
import { circlesFromModeration } from './circles/moderation.js';
import { purgeExpiredCircles } from './circles/purge.js';
import { onUserErased } from './data/erase.js';
import { onExportRequested } from './data/export.js';
import { circleInternalService } from './internal/internal.js';
import type { CircleDatabase } from './db/schema.js';
import { circleMigrations } from './migrations/index.js';
import { usersFromUserEvents } from './users/from-user-events.js';

const rpc = (method: keyof typeof CircleService.method) => rpcOf(CircleService, method);

/**
 * What an API key may call here: reads need `circles:read`, changes `circles:write`.
 * ListInviteLinks needs `circles:write`, because its codes let anyone join: it takes what
 * creating a link takes. Five RPCs stay with a signed-in session: Leave (re-auth within the
 * last hour, which a key has not), DeleteCircle and RestoreCircle (a leaked key must not
 * destroy a circle), TransferOwnership (nor give it away), and SetMemberSafetyRole (it decides
 * who learns of an SOS or a help request, like the escalation ladder in support).
 * CircleAdminService is staff-only and never reachable by a key.
 */
const apiKeyScopes = {
  [rpc('getCircle')]: 'circles:read',
  [rpc('listMyCircles')]: 'circles:read',
  [rpc('searchCircles')]: 'circles:read',
  [rpc('listMembers')]: 'circles:read',
  [rpc('listSentInvites')]: 'circles:read',
  [rpc('listMyInvites')]: 'circles:read',
  [rpc('previewInviteLink')]: 'circles:read',
  [rpc('listMyJoinRequests')]: 'circles:read',
  [rpc('listJoinRequests')]: 'circles:read',
  [rpc('listBans')]: 'circles:read',
  [rpc('listHiddenPosts')]: 'circles:read',
  [rpc('listCircleAuditLog')]: 'circles:read',
  [rpc('createCircle')]: 'circles:write',
  [rpc('updateCircle')]: 'circles:write',
  [rpc('inviteMember')]: 'circles:write',
  [rpc('revokeInvite')]: 'circles:write',
  [rpc('acceptInvite')]: 'circles:write',
  [rpc('declineInvite')]: 'circles:write',
  [rpc('createInviteLink')]: 'circles:write',
  [rpc('updateInviteLink')]: 'circles:write',
  [rpc('listInviteLinks')]: 'circles:write',
  [rpc('revokeInviteLink')]: 'circles:write',
  [rpc('joinByLink')]: 'circles:write',
  [rpc('requestToJoin')]: 'circles:write',
  [rpc('withdrawJoinRequest')]: 'circles:write',
  [rpc('approveJoinRequest')]: 'circles:write',
  [rpc('rejectJoinRequest')]: 'circles:write',
  [rpc('removeMember')]: 'circles:write',
  [rpc('banMember')]: 'circles:write',
  [rpc('unbanMember')]: 'circles:write',
  [rpc('setMemberRole')]: 'circles:write',
  [rpc('setCircleRules')]: 'circles:write',
  [rpc('hidePost')]: 'circles:write',
  [rpc('unhidePost')]: 'circles:write',
} as const;

/** How often bans past their end are lifted. */
export const BAN_EXPIRY_EVERY_MS = 30_000;
/** How often deleted circles past their restore window are purged. */
export const PURGE_EVERY_MS = 60_000;

/** The circle parts, and the app they were built from (tests reach its database). */
export type CircleParts = ServiceParts<CircleDatabase> & { app: CircleApp };

/**
 * Builds the circle service. Tests may stand in for the services it asks (`clients`): the
 * moderation check, and post's media holds and GetCirclePosts.
 */
export function createCircleParts(
  ctx: ServiceContext<CircleDatabase>,
  overrides: { clients?: CircleClients } = {},
): CircleParts {
  const app = createCircleApp(ctx);
  const clients = overrides.clients ?? circleClients(app);
  return {
    app,
    handlers: [
      implement(CircleService, circleHandlers(app, clients)),
      implement(CircleAdminService, circleAdminHandlers(app)),
    ],
    consumers: [
      ...usersFromUserEvents(),
      circlesFromModeration(app),
      onUserErased(app, clients),
      onExportRequested(app, filesystemBlobStorage(exportBucketDir(ctx))),
    ],
    daemons: [
      circleInternalService(app),
      periodicDaemon({
        name: 'circle-ban-expiry',
        everyMs: BAN_EXPIRY_EVERY_MS,
        run: async () => {
          await liftExpiredBans(app);
        },
        onError: (err) => app.logger.error({ err }, 'ban expiry failed'),
      }),
      periodicDaemon({
        name: 'circle-purge',
        everyMs: PURGE_EVERY_MS,
        run: async () => {
          const purged = await purgeExpiredCircles(app, clients);
          if (purged > 0) app.logger.info({ purged }, 'purged deleted circles');
        },
        onError: (err) => app.logger.error({ err }, 'circle purge failed'),
      }),
    ],
  };
}

/**
 * Circles, memberships, roles, safety roles, invitations, invite links, join requests, bans,
 * search, hidden posts (HidePost, UnhidePost, ListHiddenPosts: delegated moderation, checked
 * with post's GetCirclePosts and applied by post from circle.post_hidden / post_unhidden) and
 * the circle audit log; platform moderation's actions; CircleInternalService on the bus;
 * circle's part in the data sagas; CircleAdminService.GetStats, the staff figures.
 */
export const circleModule = defineService<CircleDatabase>({
  name: 'circle',
  services: [CircleService, CircleAdminService],
  // Staff RPCs refuse everyone else before their requests are even validated.
  requiredRoles: { [CircleAdminService.typeName]: 'admin' },
  apiKeyScopes,
  migrations: circleMigrations,
  create: (ctx) => createCircleParts(ctx),
});
