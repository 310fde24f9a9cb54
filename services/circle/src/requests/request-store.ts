import { fetchPage } from '@kith/db';
import type { PageTokenCodec } from '@kith/db';
import { RequestStatus } from '@kith/gen/kith/circle/v1/types_pb.js';
import type { Kysely, Selectable } from 'kysely';
import type { CircleDatabase, JoinRequestsTable } from '../db/schema.js';

export type JoinRequestRow = Selectable<JoinRequestsTable>;
export type RequestsDb = CircleDatabase;

export async function findJoinRequest(
  db: Kysely<RequestsDb>,
  id: string,
  lock: boolean,
): Promise<JoinRequestRow | undefined> {
  let query = db.selectFrom('join_requests').selectAll().where('id', '=', id);
  if (lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function pendingJoinRequest(
  db: Kysely<RequestsDb>,
  circleId: string,
  requesterId: string,
): Promise<JoinRequestRow | undefined> {
  return db
    .selectFrom('join_requests')
    .selectAll()
    .where('circle_id', '=', circleId)
    .where('requester_id', '=', requesterId)
    .where('status', '=', RequestStatus.PENDING)
    .executeTakeFirst();
}

export async function countPendingJoinRequests(
  db: Kysely<RequestsDb>,
  circleId: string,
): Promise<number> {
  const row = await db
    .selectFrom('join_requests')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('circle_id', '=', circleId)
    .where('status', '=', RequestStatus.PENDING)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertJoinRequest(
  db: Kysely<RequestsDb>,
  row: JoinRequestRow,
): Promise<void> {
  await db.insertInto('join_requests').values(row).execute();
}

export async function decideJoinRequest(
  db: Kysely<RequestsDb>,
  id: string,
  status: RequestStatus,
  now: Date,
): Promise<JoinRequestRow> {
  return db
    .updateTable('join_requests')
    .set({ status, decided_at: now })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Expires every pending join request of a circle (its deletion). */
export async function expireCircleJoinRequests(
  db: Kysely<RequestsDb>,
  circleId: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('join_requests')
    .set({ status: RequestStatus.EXPIRED, decided_at: now })
    .where('circle_id', '=', circleId)
    .where('status', '=', RequestStatus.PENDING)
    .execute();
}

/**
 * Who decides a circle's join requests: the OWNER, then the ADMINs by seniority, at most
 * `limit` (circle.join_requested names them).
 */
export async function deciders(
  db: Kysely<RequestsDb>,
  circleId: string,
  limit: number,
): Promise<string[]> {
  const rows = await db
    .selectFrom('members')
    .select('user_id')
    .where('circle_id', '=', circleId)
    .where('role', 'in', [1, 2])
    .orderBy('role')
    .orderBy('joined_at')
    .orderBy('user_id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.user_id);
}

/** ListJoinRequests: the circle's pending requests, oldest first. */
export function circleRequestsPage(
  db: Kysely<RequestsDb>,
  input: { circleId: string; pageSize: number; pageToken: string; codec: PageTokenCodec },
) {
  const query = db
    .selectFrom('join_requests')
    .selectAll()
    .where('circle_id', '=', input.circleId)
    .where('status', '=', RequestStatus.PENDING);
  return fetchPage(query, {
    columns: [{ ref: 'id', direction: 'asc' }],
    pageSize: input.pageSize,
    pageToken: input.pageToken,
    codec: input.codec,
    binding: `circle.ListJoinRequests|${input.circleId}`,
    keysOf: () => [],
    idOf: (row) => row.id,
  });
}

/** ListMyJoinRequests: the caller's requests, newest first; pending only unless `all`. */
export function myRequestsPage(
  db: Kysely<RequestsDb>,
  input: {
    userId: string;
    includeInactive: boolean;
    pageSize: number;
    pageToken: string;
    codec: PageTokenCodec;
  },
) {
  let query = db.selectFrom('join_requests').selectAll().where('requester_id', '=', input.userId);
  if (!input.includeInactive) query = query.where('status', '=', RequestStatus.PENDING);
  return fetchPage(query, {
    columns: [{ ref: 'id', direction: 'desc' }],
    pageSize: input.pageSize,
    pageToken: input.pageToken,
    codec: input.codec,
    binding: `circle.ListMyJoinRequests|${input.userId}|${input.includeInactive}`,
    keysOf: () => [],
    idOf: (row) => row.id,
  });
}
