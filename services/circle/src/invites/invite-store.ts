import { fetchPage } from '@kith/db';
import type { PageTokenCodec } from '@kith/db';
import { RequestStatus } from '@kith/gen/kith/circle/v1/types_pb.js';
import type { Kysely, Selectable } from 'kysely';
import type { CircleDatabase, InvitesTable } from '../db/schema.js';

export type InviteRow = Selectable<InvitesTable>;
export type InvitesDb = CircleDatabase;

/** The status a client sees: a pending invite past its expiry is EXPIRED. */
export function statusAt(row: Pick<InviteRow, 'status' | 'expires_at'>, now: Date): RequestStatus {
  return row.status === RequestStatus.PENDING && row.expires_at <= now
    ? RequestStatus.EXPIRED
    : row.status;
}

export async function findInvite(
  db: Kysely<InvitesDb>,
  inviteId: string,
  lock: boolean,
): Promise<InviteRow | undefined> {
  let query = db.selectFrom('invites').selectAll().where('id', '=', inviteId);
  if (lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** The pending, unexpired invite of `inviteeId` to the circle; expired ones are closed first. */
export async function pendingInvite(
  db: Kysely<InvitesDb>,
  circleId: string,
  inviteeId: string,
  now: Date,
): Promise<InviteRow | undefined> {
  await db
    .updateTable('invites')
    .set({ status: RequestStatus.EXPIRED, decided_at: now })
    .where('circle_id', '=', circleId)
    .where('invitee_id', '=', inviteeId)
    .where('status', '=', RequestStatus.PENDING)
    .where('expires_at', '<=', now)
    .execute();
  return db
    .selectFrom('invites')
    .selectAll()
    .where('circle_id', '=', circleId)
    .where('invitee_id', '=', inviteeId)
    .where('status', '=', RequestStatus.PENDING)
    .executeTakeFirst();
}

/** How many invites of the circle are pending and unexpired. */
export async function countPending(
  db: Kysely<InvitesDb>,
  circleId: string,
  now: Date,
): Promise<number> {
  const row = await db
    .selectFrom('invites')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('circle_id', '=', circleId)
    .where('status', '=', RequestStatus.PENDING)
    .where('expires_at', '>', now)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertInvite(db: Kysely<InvitesDb>, row: InviteRow): Promise<void> {
  await db.insertInto('invites').values(row).execute();
}

/** Ends a pending invite with `status`; the row after. */
export async function decideInvite(
  db: Kysely<InvitesDb>,
  inviteId: string,
  status: RequestStatus,
  now: Date,
): Promise<InviteRow> {
  return db
    .updateTable('invites')
    .set({ status, decided_at: now })
    .where('id', '=', inviteId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Expires every pending invite of a circle (its deletion). */
export async function expireCircleInvites(
  db: Kysely<InvitesDb>,
  circleId: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('invites')
    .set({ status: RequestStatus.EXPIRED, decided_at: now })
    .where('circle_id', '=', circleId)
    .where('status', '=', RequestStatus.PENDING)
    .execute();
}

/** ListSentInvites: the circle's invites, newest first; pending and unexpired unless `all`. */
export function sentInvitesPage(
  db: Kysely<InvitesDb>,
  input: {
    circleId: string;
    includeInactive: boolean;
    now: Date;
    pageSize: number;
    pageToken: string;
    codec: PageTokenCodec;
  },
) {
  let query = db.selectFrom('invites').selectAll().where('circle_id', '=', input.circleId);
  if (!input.includeInactive) {
    query = query.where('status', '=', RequestStatus.PENDING).where('expires_at', '>', input.now);
  }
  return fetchPage(query, {
    columns: [{ ref: 'id', direction: 'desc' }],
    pageSize: input.pageSize,
    pageToken: input.pageToken,
    codec: input.codec,
    binding: `circle.ListSentInvites|${input.circleId}|${input.includeInactive}`,
    keysOf: () => [],
    idOf: (row) => row.id,
  });
}

/** ListMyInvites: the caller's pending, unexpired invites to circles not deleted, newest first. */
export function myInvitesPage(
  db: Kysely<InvitesDb>,
  input: { userId: string; now: Date; pageSize: number; pageToken: string; codec: PageTokenCodec },
) {
  const query = db
    .selectFrom('invites')
    .innerJoin('circles', 'circles.id', 'invites.circle_id')
    .selectAll('invites')
    .where('invites.invitee_id', '=', input.userId)
    .where('invites.status', '=', RequestStatus.PENDING)
    .where('invites.expires_at', '>', input.now)
    .where('circles.deleted_at', 'is', null);
  return fetchPage(query, {
    columns: [{ ref: 'invites.id', direction: 'desc' }],
    pageSize: input.pageSize,
    pageToken: input.pageToken,
    codec: input.codec,
    binding: `circle.ListMyInvites|${input.userId}`,
    keysOf: () => [],
    idOf: (row) => row.id,
  });
}
