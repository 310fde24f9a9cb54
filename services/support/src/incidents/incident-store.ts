import { fetchPage } from '@kith/db';
import type { PageTokenCodec } from '@kith/db';
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import { sql } from 'kysely';
import type {
  IncidentsTable,
  RespondersTable,
  SafetyPinsTable,
  SupportDatabase,
} from '../db/schema.js';

type Db = Kysely<SupportDatabase>;

export type IncidentRow = Selectable<IncidentsTable>;
export type ResponderRow = Selectable<RespondersTable>;
export type IncidentPatch = Updateable<IncidentsTable>;

/** Inserts the incident; returns it as stored (defaults filled in). */
export async function insertIncident(
  db: Db,
  row: Insertable<IncidentsTable>,
): Promise<IncidentRow> {
  return db.insertInto('incidents').values(row).returningAll().executeTakeFirstOrThrow();
}

/** The incident, locked for the transaction when `lock`. */
export async function findIncident(
  db: Db,
  incidentId: string,
  lock = false,
): Promise<IncidentRow | undefined> {
  let query = db.selectFrom('incidents').selectAll().where('id', '=', incidentId);
  if (lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** The owner's SOS that is open in their view, if any. */
export async function findOpenSos(db: Db, ownerId: string): Promise<IncidentRow | undefined> {
  return db
    .selectFrom('incidents')
    .selectAll()
    .where('owner_id', '=', ownerId)
    .where('kind', '=', 2)
    .where('owner_status', '=', 1)
    .executeTakeFirst();
}

/** How many SOS the owner raised since `since`. */
export async function countSosSince(db: Db, ownerId: string, since: Date): Promise<number> {
  const row = await db
    .selectFrom('incidents')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('owner_id', '=', ownerId)
    .where('kind', '=', 2)
    .where('created_at', '>=', since)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function updateIncident(db: Db, incidentId: string, patch: IncidentPatch) {
  await db.updateTable('incidents').set(patch).where('id', '=', incidentId).execute();
}

/** Alerts these users (those not alerted before); returns the ids newly alerted. */
export async function insertResponders(
  db: Db,
  rows: Insertable<RespondersTable>[],
): Promise<string[]> {
  if (rows.length === 0) return [];
  const inserted = await db
    .insertInto('responders')
    .values(rows)
    .onConflict((oc) => oc.columns(['incident_id', 'user_id']).doNothing())
    .returning('user_id')
    .execute();
  return inserted.map((r) => r.user_id);
}

export async function findResponder(
  db: Db,
  incidentId: string,
  userId: string,
): Promise<ResponderRow | undefined> {
  return db
    .selectFrom('responders')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

/** The responders of the incident among `userIds`, by user id. */
export async function respondersAmong(
  db: Db,
  incidentId: string,
  userIds: readonly string[],
): Promise<Map<string, ResponderRow>> {
  if (userIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('responders')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .where('user_id', 'in', [...userIds])
    .execute();
  return new Map(rows.map((row) => [row.user_id, row]));
}

export async function updateResponder(
  db: Db,
  incidentId: string,
  userId: string,
  patch: Updateable<RespondersTable>,
): Promise<void> {
  await db
    .updateTable('responders')
    .set(patch)
    .where('incident_id', '=', incidentId)
    .where('user_id', '=', userId)
    .execute();
}

/** Everyone alerted, in ListResponders order (most advanced first), at most `limit`. */
export async function respondersInOrder(
  db: Db,
  incidentId: string,
  limit: number,
): Promise<ResponderRow[]> {
  return db
    .selectFrom('responders')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .orderBy('rank', 'desc')
    .orderBy('notified_at')
    .orderBy('user_id')
    .limit(limit)
    .execute();
}

/** One page of responders in ListResponders order, optionally of some states. */
export async function respondersPage(
  db: Db,
  q: {
    incidentId: string;
    states: readonly number[];
    pageSize: number;
    pageToken: string;
    codec: PageTokenCodec;
    binding: string;
  },
) {
  let query = db.selectFrom('responders').selectAll().where('incident_id', '=', q.incidentId);
  if (q.states.length > 0) query = query.where('state', 'in', q.states);
  return fetchPage(query, {
    columns: [
      { ref: 'rank', direction: 'desc' },
      { ref: 'notified_at', direction: 'asc' },
      { ref: 'user_id', direction: 'asc' },
    ],
    pageSize: q.pageSize,
    pageToken: q.pageToken,
    codec: q.codec,
    binding: q.binding,
    keysOf: (r) => [r.rank, r.notified_at],
    idOf: (r) => r.user_id,
  });
}

/** ResponderCounts over every responder. */
export async function responderCounts(db: Db, incidentId: string) {
  const row = await db
    .selectFrom('responders')
    .select([
      sql<string>`count(*)`.as('notified'),
      sql<string>`count(*) filter (where state <> 1)`.as('delivered'),
      sql<string>`count(*) filter (where state in (2, 3))`.as('acknowledged'),
      sql<string>`count(*) filter (where response_kind = 1)`.as('on_my_way'),
    ])
    .where('incident_id', '=', incidentId)
    .executeTakeFirstOrThrow();
  return {
    notified: Number(row.notified),
    delivered: Number(row.delivered),
    acknowledged: Number(row.acknowledged),
    onMyWay: Number(row.on_my_way),
  };
}

/** Everyone alerted about the incident (at most 10,000). */
export async function responderIds(db: Db, incidentId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('responders')
    .select('user_id')
    .where('incident_id', '=', incidentId)
    .orderBy('notified_at')
    .limit(10_000)
    .execute();
  return rows.map((r) => r.user_id);
}

/** Appends timeline entries (each a TimelineEntry, binary). */
export async function appendTimeline(
  db: Db,
  rows: readonly {
    incidentId: string;
    sequence: bigint;
    at: Date;
    entry: Uint8Array;
    hasLocation: boolean;
  }[],
): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('timeline')
    .values(
      rows.map((row) => ({
        incident_id: row.incidentId,
        sequence: row.sequence.toString(),
        occurred_at: row.at,
        entry: Buffer.from(row.entry),
        has_location: row.hasLocation,
      })),
    )
    .execute();
}

/** Timeline entries after `afterSequence` up to `maxSequence` (when set), oldest first. */
export async function timelineEntries(
  db: Db,
  q: { incidentId: string; afterSequence: bigint; maxSequence?: bigint; limit: number },
) {
  let query = db
    .selectFrom('timeline')
    .select(['sequence', 'entry'])
    .where('incident_id', '=', q.incidentId)
    .where('sequence', '>', q.afterSequence.toString());
  if (q.maxSequence !== undefined) query = query.where('sequence', '<=', q.maxSequence.toString());
  return query.orderBy('sequence').limit(q.limit).execute();
}

/**
 * One page of the incidents `userId` owns (`owned`) or was alerted to (`alerted`), newest
 * first. A status filter reads the owner's status for owned incidents and the true one for
 * alerted incidents.
 */
export async function incidentsPage(
  db: Db,
  q: {
    userId: string;
    owned: boolean;
    alerted: boolean;
    statuses: readonly number[];
    circleId?: string;
    createdAfter?: Date;
    pageSize: number;
    pageToken: string;
    codec: PageTokenCodec;
    binding: string;
  },
) {
  let query = db.selectFrom('incidents as i').selectAll('i');
  const alertedIds = db
    .selectFrom('responders')
    .select('incident_id')
    .where('user_id', '=', q.userId);
  query = query.where((eb) => {
    const mine = eb.and([
      eb('i.owner_id', '=', q.userId),
      ...(q.statuses.length > 0 ? [eb('i.owner_status', 'in', q.statuses)] : []),
    ]);
    const alerted = eb.and([
      eb('i.id', 'in', alertedIds),
      ...(q.statuses.length > 0 ? [eb('i.status', 'in', q.statuses)] : []),
    ]);
    if (q.owned && q.alerted) return eb.or([mine, alerted]);
    return q.owned ? mine : alerted;
  });
  if (q.circleId) query = query.where(sql<boolean>`${q.circleId}::uuid = any(i.circle_ids)`);
  if (q.createdAfter) query = query.where('i.created_at', '>', q.createdAfter);
  return fetchPage(query, {
    columns: [
      { ref: 'i.created_at', direction: 'desc' },
      { ref: 'i.id', direction: 'desc' },
    ],
    pageSize: q.pageSize,
    pageToken: q.pageToken,
    codec: q.codec,
    binding: q.binding,
    keysOf: (r) => [r.created_at],
    idOf: (r) => r.id,
  });
}

/** Incidents whose next ladder step is due, locked and skipped by other runners. */
export async function dueIncidents(db: Db, now: Date, limit: number): Promise<IncidentRow[]> {
  return db
    .selectFrom('incidents')
    .selectAll()
    .where('next_step_at', '<=', now)
    .orderBy('next_step_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

/** Incidents whose location share ran out, locked and skipped by other runners. */
export async function expiredShares(db: Db, now: Date, limit: number): Promise<IncidentRow[]> {
  return db
    .selectFrom('incidents')
    .selectAll()
    .where('location_stopped_at', 'is', null)
    .where('location_expires_at', '<=', now)
    .orderBy('location_expires_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

/** Of `incidentIds`, those `userId` owns. */
export async function ownedAmong(
  db: Db,
  userId: string,
  incidentIds: readonly string[],
): Promise<string[]> {
  const rows = await db
    .selectFrom('incidents')
    .select('id')
    .where('owner_id', '=', userId)
    .where('id', 'in', incidentIds)
    .execute();
  return rows.map((r) => r.id);
}

/** Of `incidentIds`, those that alerted `userId`. */
export async function alertedAmong(
  db: Db,
  userId: string,
  incidentIds: readonly string[],
): Promise<string[]> {
  const rows = await db
    .selectFrom('responders')
    .select('incident_id')
    .where('user_id', '=', userId)
    .where('incident_id', 'in', incidentIds)
    .execute();
  return rows.map((r) => r.incident_id);
}

export async function findPins(
  db: Db,
  userId: string,
): Promise<Selectable<SafetyPinsTable> | undefined> {
  return db.selectFrom('safety_pins').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

export async function savePins(db: Db, row: Selectable<SafetyPinsTable>): Promise<void> {
  await db
    .insertInto('safety_pins')
    .values(row)
    .onConflict((oc) =>
      oc.column('user_id').doUpdateSet({
        cancel_hash: row.cancel_hash,
        duress_hash: row.duress_hash,
        updated_at: row.updated_at,
      }),
    )
    .execute();
}

/** Ended incidents whose exact locations are still held, ended before `before`. */
export async function endedWithLocations(db: Db, before: Date, limit: number) {
  return db
    .selectFrom('incidents')
    .select(['id', 'owner_view'])
    .where('ended_at', '<', before)
    .where((eb) =>
      eb.or([
        eb('location', 'is not', null),
        eb('device', 'is not', null),
        eb.exists(
          eb
            .selectFrom('timeline')
            .select('sequence')
            .whereRef('timeline.incident_id', '=', 'incidents.id')
            .where('timeline.has_location', '=', true),
        ),
      ]),
    )
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

/** The timeline entries of an incident that hold coordinates. */
export async function locatedEntries(db: Db, incidentId: string) {
  return db
    .selectFrom('timeline')
    .select(['sequence', 'entry'])
    .where('incident_id', '=', incidentId)
    .where('has_location', '=', true)
    .execute();
}

export async function rewriteEntry(
  db: Db,
  incidentId: string,
  sequence: string,
  entry: Uint8Array,
): Promise<void> {
  await db
    .updateTable('timeline')
    .set({ entry: Buffer.from(entry), has_location: false })
    .where('incident_id', '=', incidentId)
    .where('sequence', '=', sequence)
    .execute();
}

/** Deletes incidents (with their responders and timeline) that ended before `before`. */
export async function deleteEndedBefore(db: Db, before: Date, limit: number): Promise<number> {
  const doomed = db
    .selectFrom('incidents')
    .select('id')
    .where('ended_at', '<', before)
    .limit(limit);
  const result = await db.deleteFrom('incidents').where('id', 'in', doomed).executeTakeFirst();
  return Number(result.numDeletedRows);
}
