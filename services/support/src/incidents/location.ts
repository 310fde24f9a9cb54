import { durationMs, timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { toJson, fromJson } from '@bufbuild/protobuf';
import type { JsonValue } from '@bufbuild/protobuf';
import { LocationSchema } from '@kith/gen/kith/common/v1/common_pb.js';
import type {
  ShareLocationRequest,
  StopSharingLocationRequest,
} from '@kith/gen/kith/support/v1/support_pb.js';
import { DeviceContextSchema } from '@kith/gen/kith/support/v1/types_pb.js';
import type { LocationShare } from '@kith/gen/kith/support/v1/types_pb.js';
import { SupportLocationStopReason } from '@kith/gen/kith/events/v1/support_events_pb.js';
import { FailedPreconditionError } from '@kith/errors';
import type { SignedInCaller } from '@kith/runtime';
import type { SupportApp } from '../app.js';
import { accessIncident, requireOpenOwner } from './access.js';
import { expiredShares, findIncident } from './incident-store.js';
import type { IncidentRow } from './incident-store.js';
import { incidentView } from './incident-view.js';
import { recordChange, silentFor } from './record.js';

/** A share lasts at most 24 h from its start; a new one without a duration, 1 h. */
const MAX_SHARE_MS = 24 * 3600_000;
const DEFAULT_SHARE_MS = 3600_000;

function sharing(row: IncidentRow, now: Date): boolean {
  return (
    row.location_started_at !== null &&
    row.location_stopped_at === null &&
    row.location_expires_at !== null &&
    row.location_expires_at > now
  );
}

/**
 * ShareLocation: starts or updates the owner's share with the responders (≤ 24 h from its
 * start). A fix older than the stored one is dropped; the expiry still moves.
 */
export async function shareLocation(
  app: SupportApp,
  caller: SignedInCaller,
  req: ShareLocationRequest,
): Promise<LocationShare> {
  const userId = caller.principal.userId;
  const now = caller.now;
  return app.database.transaction(async (trx) => {
    const row = requireOpenOwner(
      await accessIncident(trx, req.incidentId, userId, true),
      'share their location',
    );
    const active = sharing(row, now);
    const startedAt = active ? row.location_started_at! : now;
    const wanted = req.duration
      ? now.getTime() + durationMs(req.duration)
      : active
        ? row.location_expires_at!.getTime()
        : now.getTime() + DEFAULT_SHARE_MS;
    const expiresAt = new Date(Math.min(wanted, startedAt.getTime() + MAX_SHARE_MS));
    const held = row.location ? fromJson(LocationSchema, row.location as JsonValue) : undefined;
    const stale =
      active &&
      held?.capturedAt !== undefined &&
      req.location?.capturedAt !== undefined &&
      timestampDate(req.location.capturedAt) < timestampDate(held.capturedAt);
    const location = stale ? held! : req.location!;
    const silent = silentFor(row);
    const share = {
      startedAt: timestampFromDate(startedAt),
      expiresAt: timestampFromDate(expiresAt),
      lastLocation: location,
    };
    const after = await recordChange(
      trx,
      row,
      now,
      [{ event: { case: 'locationShared', value: share }, actorId: userId }],
      {
        location: JSON.stringify(toJson(LocationSchema, location)),
        location_started_at: startedAt,
        location_expires_at: expiresAt,
        location_stopped_at: null,
        ...(req.device ? { device: JSON.stringify(toJson(DeviceContextSchema, req.device)) } : {}),
      },
    );
    await app.emit(trx, userId, {
      case: 'supportLocationShared',
      value: {
        incidentId: row.id,
        ownerId: userId,
        location,
        expiresAt: share.expiresAt,
        version: BigInt(after.version),
        device: req.device,
        silent,
      },
    });
    return (await incidentView(trx, (await findIncident(trx, row.id))!, 'owner')).locationShare!;
  });
}

/** Ends a share now (the owner) or at its expiry (the runner); publishes location_stopped. */
async function stopShare(
  app: SupportApp,
  trx: Parameters<Parameters<SupportApp['database']['transaction']>[0]>[0],
  row: IncidentRow,
  now: Date,
  reason: SupportLocationStopReason,
  actorId: string | null,
): Promise<void> {
  const silent = silentFor(row);
  const after = await recordChange(
    trx,
    row,
    now,
    [
      {
        event: {
          case: 'locationStopped',
          value: {
            startedAt: timestampFromDate(row.location_started_at!),
            expiresAt: timestampFromDate(row.location_expires_at!),
            stoppedAt: timestampFromDate(now),
          },
        },
        actorId,
      },
    ],
    { location_stopped_at: now },
  );
  await app.emit(trx, actorId, {
    case: 'supportLocationStopped',
    value: {
      incidentId: row.id,
      ownerId: row.owner_id,
      reason,
      version: BigInt(after.version),
      silent,
    },
  });
}

/** StopSharingLocation: the owner stops sharing now; no share: FailedPrecondition. */
export async function stopSharingLocation(
  app: SupportApp,
  caller: SignedInCaller,
  req: StopSharingLocationRequest,
): Promise<void> {
  const userId = caller.principal.userId;
  const now = caller.now;
  await app.database.transaction(async (trx) => {
    const row = requireOpenOwner(
      await accessIncident(trx, req.incidentId, userId, true),
      'stop sharing their location',
    );
    if (!sharing(row, now)) throw new FailedPreconditionError('the location is not being shared');
    await stopShare(app, trx, row, now, SupportLocationStopReason.STOPPED, userId);
  });
}

/** Ends the shares that ran out; each in its own transaction. */
export async function expireShares(app: SupportApp, limit = 100): Promise<number> {
  const now = app.clock();
  return app.database.transaction(async (trx) => {
    const rows = await expiredShares(trx, now, limit);
    for (const row of rows) {
      await stopShare(app, trx, row, now, SupportLocationStopReason.EXPIRED, null);
    }
    return rows.length;
  });
}
