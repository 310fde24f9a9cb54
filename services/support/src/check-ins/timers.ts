import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { CheckInStatus, IncidentKind } from '@kith/gen/kith/support/v1/types_pb.js';
import type { Kysely } from 'kysely';
import type { SupportApp } from '../app.js';
import type { SupportDatabase } from '../db/schema.js';
import { openIncident } from '../incidents/open.js';
import { deleteEndedBefore, dueCheckIns, findCheckIn, updateCheckIn } from './check-in-store.js';
import type { CheckInPatch, CheckInRow } from './check-in-store.js';

type Db = Kysely<SupportDatabase>;

const MINUTE = 60_000;
const DAY = 86_400_000;
/** After the reminder at due_at, the owner has this long before the check-in is missed. */
export const GRACE_MS = 5 * MINUTE;
/** A check-in is deleted 30 days after it ends (types.proto, CheckIn). */
export const CHECK_IN_RETENTION_MS = 30 * DAY;

/** Applies a change to a locked check-in, with the next version. */
export async function changeCheckIn(
  db: Db,
  row: CheckInRow,
  at: Date,
  patch: CheckInPatch,
): Promise<CheckInRow> {
  return updateCheckIn(db, row.id, {
    ...patch,
    version: (BigInt(row.version) + 1n).toString(),
    updated_at: at,
  });
}

/**
 * The reminder at due_at: the check-in stays ACTIVE and the grace runs from the reminder (a
 * runner that was down does not eat into it); support.check_in_reminded tells the owner.
 */
async function remind(app: SupportApp, db: Db, row: CheckInRow, now: Date): Promise<CheckInRow> {
  const graceUntil = new Date(now.getTime() + GRACE_MS);
  const reminded = await changeCheckIn(db, row, now, {
    reminded_at: now,
    grace_until: graceUntil,
    timer_at: graceUntil,
  });
  await app.emit(db, null, {
    case: 'supportCheckInReminded',
    value: {
      checkInId: row.id,
      userId: row.user_id,
      dueAt: timestampFromDate(row.due_at),
      graceUntil: timestampFromDate(graceUntil),
      version: BigInt(reminded.version),
    },
  });
  return reminded;
}

/**
 * Marks a locked ACTIVE check-in MISSED and opens its MISSED_CHECK_IN incident, which alerts
 * through the owner's ladder (support.alert_raised), then support.check_in_missed. The grace
 * running out and the third wrong word both end here.
 */
export async function missCheckIn(
  app: SupportApp,
  db: Db,
  row: CheckInRow,
  now: Date,
): Promise<CheckInRow> {
  const { row: incident } = await openIncident(app, db, {
    kind: IncidentKind.MISSED_CHECK_IN,
    ownerId: row.user_id,
    circleIds: row.circle_ids,
    // What the owner wrote about where they were going, shown to responders and contacts.
    message: row.destination,
    checkInId: row.id,
    at: now,
  });
  const missed = await changeCheckIn(db, row, now, {
    status: CheckInStatus.MISSED,
    incident_id: incident.id,
    completed_at: now,
    timer_at: null,
  });
  await app.emit(db, null, {
    case: 'supportCheckInMissed',
    value: {
      checkInId: row.id,
      userId: row.user_id,
      incidentId: incident.id,
      circleIds: row.circle_ids,
      version: BigInt(missed.version),
    },
  });
  return missed;
}

/**
 * One pass of the check-in runner: every check-in whose timer is due, each in its own
 * transaction re-read under its lock (other runners skip it), so a step fires exactly once —
 * the change and the next timer commit together — and a CheckIn, ExtendCheckIn or
 * CancelCheckIn that committed first wins (the row is no longer due). Returns the steps fired.
 */
export async function runCheckInTimers(app: SupportApp, limit = 50): Promise<number> {
  const now = app.clock();
  const due = await app.database.transaction((trx) => dueCheckIns(trx, now, limit));
  let fired = 0;
  for (const checkInId of due) {
    await app.database.transaction(async (trx) => {
      const row = await findCheckIn(trx, checkInId, true);
      if (!row || row.status !== CheckInStatus.ACTIVE) return;
      if (row.timer_at === null || row.timer_at > now) return;
      if (row.reminded_at === null) await remind(app, trx, row, now);
      else await missCheckIn(app, trx, row, now);
      fired += 1;
    });
  }
  return fired;
}

/** Retention: deletes check-ins that ended over 30 days ago; returns how many went. */
export async function purgeEndedCheckIns(app: SupportApp, limit = 500): Promise<number> {
  const before = new Date(app.clock().getTime() - CHECK_IN_RETENTION_MS);
  return app.database.transaction((trx) => deleteEndedBefore(trx, before, limit));
}
