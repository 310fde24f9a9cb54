import { fetchPage } from '@kith/db';
import type { PageSizes, PageTokenCodec } from '@kith/db';
import type { Kysely } from 'kysely';
import type { CircleDatabase } from '../db/schema.js';

export type InternalDb = CircleDatabase;

/** The internal lists' page sizes (internal.proto): 100 by default, at most 500. */
const INTERNAL_PAGE_SIZES: PageSizes = { default: 100, max: 500 };

/** Which of `circleIds` `userId` belongs to and are not deleted. */
export async function liveCirclesOf(
  db: Kysely<InternalDb>,
  userId: string,
  circleIds: readonly string[],
): Promise<string[]> {
  const rows = await db
    .selectFrom('members')
    .innerJoin('circles', 'circles.id', 'members.circle_id')
    .select('members.circle_id')
    .where('members.user_id', '=', userId)
    .where('members.circle_id', 'in', [...circleIds])
    .where('circles.deleted_at', 'is', null)
    .execute();
  return rows.map((r) => r.circle_id);
}

/** A membership with its version, as the internal answers carry it. */
function membershipsQuery(db: Kysely<InternalDb>) {
  return db
    .selectFrom('members')
    .innerJoin('circles', 'circles.id', 'members.circle_id')
    .innerJoin('membership_versions as v', (join) =>
      join
        .onRef('v.circle_id', '=', 'members.circle_id')
        .onRef('v.user_id', '=', 'members.user_id'),
    )
    .selectAll('members')
    .select('v.version');
}

/** GetMemberships: `userId`'s memberships in circles that are not deleted, by circle id. */
export function membershipsOfUser(
  db: Kysely<InternalDb>,
  input: {
    userId: string;
    circleIds: readonly string[];
    pageSize: number;
    pageToken: string;
    codec: PageTokenCodec;
  },
) {
  let query = membershipsQuery(db)
    .where('members.user_id', '=', input.userId)
    .where('circles.deleted_at', 'is', null);
  if (input.circleIds.length > 0) {
    query = query.where('members.circle_id', 'in', [...input.circleIds]);
  }
  return fetchPage(query, {
    columns: [{ ref: 'members.circle_id', direction: 'asc' }],
    pageSize: input.pageSize,
    pageToken: input.pageToken,
    sizes: INTERNAL_PAGE_SIZES,
    codec: input.codec,
    binding: `circle.GetMemberships|${input.userId}|${[...input.circleIds].sort().join(',')}`,
    keysOf: () => [],
    idOf: (row) => row.circle_id,
  });
}

/** ListCircleMemberships: every membership of one circle, by user id. */
export function membershipsOfCircle(
  db: Kysely<InternalDb>,
  input: { circleId: string; pageSize: number; pageToken: string; codec: PageTokenCodec },
) {
  return fetchPage(membershipsQuery(db).where('members.circle_id', '=', input.circleId), {
    columns: [{ ref: 'members.user_id', direction: 'asc' }],
    pageSize: input.pageSize,
    pageToken: input.pageToken,
    sizes: INTERNAL_PAGE_SIZES,
    codec: input.codec,
    binding: `circle.ListCircleMemberships|${input.circleId}`,
    keysOf: () => [],
    idOf: (row) => row.user_id,
  });
}

/**
 * Whether `userId` could see the circle or its preview, and so may report it: a member or
 * former member (a membership version outlives a leave), an invitee or a requester.
 * (A discoverable circle anyone may report: the caller checks that first.)
 */
export async function hasSeenCircle(
  db: Kysely<InternalDb>,
  circleId: string,
  userId: string,
): Promise<boolean> {
  const row = await db
    .selectNoFrom((eb) => [
      eb
        .exists(
          eb
            .selectFrom('membership_versions')
            .select('user_id')
            .where('circle_id', '=', circleId)
            .where('user_id', '=', userId),
        )
        .as('member'),
      eb
        .exists(
          eb
            .selectFrom('invites')
            .select('id')
            .where('circle_id', '=', circleId)
            .where('invitee_id', '=', userId),
        )
        .as('invitee'),
      eb
        .exists(
          eb
            .selectFrom('join_requests')
            .select('id')
            .where('circle_id', '=', circleId)
            .where('requester_id', '=', userId),
        )
        .as('requester'),
    ])
    .executeTakeFirstOrThrow();
  return Boolean(row.member) || Boolean(row.invitee) || Boolean(row.requester);
}
