import { ConnectError } from '@connectrpc/connect';
import type {
  CreateHelpRequestRequest,
  RaiseSosRequest,
} from '@kith/gen/kith/support/v1/support_pb.js';
import { RuleScope } from '@kith/gen/kith/moderation/v1/rules_pb.js';
import { IncidentKind } from '@kith/gen/kith/support/v1/types_pb.js';
import type { Reach } from '@kith/gen/kith/support/v1/types_pb.js';
import type { Incident } from '@kith/gen/kith/support/v1/types_pb.js';
import { NotFoundError, ResourceExhaustedError, UnavailableError } from '@kith/errors';
import { checkContentFailOpen } from '@kith/runtime';
import type { SignedInCaller } from '@kith/runtime';
import type { SupportApp } from '../app.js';
import { ladderSteps } from '../ladder/steps.js';
import { applyMembership, circlesOf, memberCircles } from '../projections/circle-store.js';
import { countSosSince, findOpenSos } from './incident-store.js';
import { incidentView } from './incident-view.js';
import type { IncidentRow } from './incident-store.js';
import { membersReached, openIncident } from './open.js';

/** Later SOS in an hour are limited; the first one never is (counted in Postgres, not Redis). */
export const SOS_PER_HOUR = 3;
const HOUR = 3600_000;

const circleNotFound = () => new NotFoundError('circle not found');

/**
 * Learns the caller's memberships from the circle service when the projection does not hold
 * them (cold or lagging), applying them by version as the events would.
 */
async function fetchMemberships(app: SupportApp, userId: string, circleIds: string[]) {
  let response;
  try {
    response = await app.clients.circle.getMemberships({ userId, circleIds, pageSize: 500 });
  } catch (err) {
    throw new UnavailableError('circles cannot be checked right now; try again', {
      cause: err instanceof ConnectError ? err : undefined,
    });
  }
  await app.database.transaction(async (trx) => {
    for (const m of response.memberships) {
      await applyMembership(trx, {
        circleId: m.circleId,
        userId: m.userId,
        role: m.role,
        safety: {
          responder: m.safety?.responder ?? false,
          primaryContact: m.safety?.primaryContact ?? false,
        },
        version: m.version,
      });
    }
  });
  return response.memberships.map((m) => m.circleId);
}

/**
 * The circles an incident is raised in: each must be one of the caller's (not deleted), else
 * NotFound as for a circle that does not exist; `allIfEmpty` takes all of the caller's.
 */
export async function callerCircles(
  app: SupportApp,
  userId: string,
  requested: readonly string[],
  allIfEmpty: boolean,
): Promise<string[]> {
  const db = app.database.db;
  if (requested.length === 0) {
    if (!allIfEmpty) throw circleNotFound();
    const held = await circlesOf(db, userId);
    if (held.length > 0) return held;
    try {
      return await fetchMemberships(app, userId, []);
    } catch (err) {
      // An SOS to "all my circles" never waits on the circle service: with none known it opens
      // anyway and reaches the emergency contacts (or nobody, saying so).
      app.logger.warn({ err }, 'memberships unavailable; raising the SOS with none');
      return [];
    }
  }
  const held = new Set(await memberCircles(db, userId, requested));
  const missing = requested.filter((id) => !held.has(id));
  if (missing.length > 0) {
    const fetched = new Set(await fetchMemberships(app, userId, missing));
    if (missing.some((id) => !fetched.has(id))) throw circleNotFound();
  }
  return [...requested];
}

/** CreateHelpRequest: alerts the circles' responders; passes moderation's link rules. */
export async function createHelpRequest(
  app: SupportApp,
  caller: SignedInCaller,
  req: CreateHelpRequestRequest,
): Promise<{ incident: Incident; reach: Reach }> {
  const ownerId = caller.principal.userId;
  const circleIds = await callerCircles(app, ownerId, req.circleIds, false);
  await checkContentFailOpen(
    app.clients.moderation,
    app.logger,
    {
      authorId: ownerId,
      scope: RuleScope.HELP_REQUEST,
      fields: req.message ? [{ field: 'message', text: req.message }] : [],
    },
    { fieldPrefix: '', ruleId: 'support.rejected_by_rule' },
  );
  const { row, reach } = await app.database.transaction((trx) =>
    openIncident(app, trx, {
      kind: IncidentKind.HELP_REQUEST,
      ownerId,
      circleIds,
      helpType: req.type,
      severity: req.severity,
      message: req.message,
      location: req.location,
      at: caller.now,
    }),
  );
  return { incident: await openedView(app, row), reach };
}

/**
 * The owner's view of an incident, read outside any transaction: for one just opened, after the
 * commit, so the alerts are on their way while it is read (its responders may already show a
 * delivery); for an SOS already open, as RaiseSos's answer.
 */
function openedView(app: SupportApp, row: IncidentRow): Promise<Incident> {
  return incidentView(app.database.db, row, 'owner');
}

/** A settled read's value, or its failure thrown. */
function valueOf<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

/**
 * RaiseSos: idempotent while the caller's SOS is open (two concurrent calls make one, by the
 * unique index on open SOS); the first in an hour is never limited, later ones are. What it
 * reads before opening (an open SOS, the circles, the hour's count, the ladder, then who each
 * circle target of the ladder reaches) is read side by side, outside the transaction.
 */
export async function raiseSos(
  app: SupportApp,
  caller: SignedInCaller,
  req: RaiseSosRequest,
): Promise<{ incident: Incident; reach: Reach }> {
  const ownerId = caller.principal.userId;
  const db = app.database.db;
  const opened = async (row: IncidentRow | undefined) =>
    row ? { incident: await openedView(app, row), reach: row.reach } : undefined;
  // All settled first: an open SOS is the answer whatever else failed (a circle not the
  // caller's, the circle service down).
  const [existing, circles, recent, ladderRead] = await Promise.allSettled([
    findOpenSos(db, ownerId),
    callerCircles(app, ownerId, req.circleIds, true),
    countSosSince(db, ownerId, new Date(caller.now.getTime() - HOUR)),
    ladderSteps(db, ownerId),
  ]);
  const open = valueOf(existing);
  if (open) return (await opened(open))!;
  const circleIds = valueOf(circles);
  // Counted outside the transaction: two calls racing past it still open one SOS (the index).
  if (valueOf(recent) >= SOS_PER_HOUR) {
    throw new ResourceExhaustedError({
      retryAfterMs: HOUR,
      message: 'too many SOS alerts in the last hour',
    });
  }
  const ladder = valueOf(ladderRead);
  const reached = await membersReached(db, ownerId, circleIds, ladder);
  try {
    const { row, reach } = await app.database.transaction((trx) =>
      openIncident(app, trx, {
        kind: IncidentKind.SOS,
        ownerId,
        circleIds,
        message: req.message,
        emergencyKind: req.emergencyKind,
        device: req.device,
        location: req.location,
        at: caller.now,
        ladder,
        reached,
      }),
    );
    return { incident: await openedView(app, row), reach };
  } catch (err) {
    // Another call opened it first: that one is the answer.
    if (isUniqueViolation(err)) {
      const winner = await opened(await findOpenSos(db, ownerId));
      if (winner) return winner;
    }
    throw err;
  }
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === '23505';
}
