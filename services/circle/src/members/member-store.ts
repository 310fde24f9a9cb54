import { fetchPage } from '@kith/db';
import type { PageTokenCodec } from '@kith/db';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { CircleDatabase } from '../db/schema.js';
import type { MemberRow } from '../circles/circle-store.js';

export type MembersDb = CircleDatabase;

/** The membership aggregate's next version (it outlives a leave: a rejoin is always newer). */
export async function nextMembershipVersion(
  db: Kysely<MembersDb>,
  circleId: string,
  userId: string,
): Promise<bigint> {
  const row = await db
    .insertInto('membership_versions')
    .values({ circle_id: circleId, user_id: userId, version: '1' })
    .onConflict((oc) =>
      oc
        .columns(['circle_id', 'user_id'])
        .doUpdateSet({ version: sql`membership_versions.version + 1` }),
    )
    .returning('version')
    .executeTakeFirstOrThrow();
  return BigInt(row.version);
}

/** The membership's current version (0 when it never existed). */
export async function membershipVersion(
  db: Kysely<MembersDb>,
  circleId: string,
  userId: string,
): Promise<bigint> {
  const row = await db
    .selectFrom('membership_versions')
    .select('version')
    .where('circle_id', '=', circleId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return BigInt(row?.version ?? 0);
}

/** A new membership with every safety-role flag off (circle.member_joined says so). */
export function newMembership(
  circleId: string,
  userId: string,
  role: number,
  joinedVia: number,
  joinedAt: Date,
): MemberRow {
  return {
    circle_id: circleId,
    user_id: userId,
    role,
    joined_via: joinedVia,
    joined_at: joinedAt,
    responder: false,
    primary_contact: false,
    quiet_hours_enabled: false,
    quiet_start_minute: null,
    quiet_end_minute: null,
    quiet_time_zone: null,
  };
}

/**
 * Adds a member and counts them in; the caller holds the circle's row lock and has checked the
 * cap. Answers the membership's new version.
 */
export async function addMember(
  db: Kysely<MembersDb>,
  member: Pick<MemberRow, 'circle_id' | 'user_id' | 'role' | 'joined_via' | 'joined_at'>,
): Promise<bigint> {
  await db.insertInto('members').values(member).execute();
  await db
    .updateTable('circles')
    .set({ member_count: sql`member_count + 1`, active_at: member.joined_at })
    .where('id', '=', member.circle_id)
    .execute();
  return nextMembershipVersion(db, member.circle_id, member.user_id);
}

/** Ends a membership and counts it out; the new version, or undefined when there was none. */
export async function deleteMember(
  db: Kysely<MembersDb>,
  circleId: string,
  userId: string,
): Promise<bigint | undefined> {
  const deleted = await db
    .deleteFrom('members')
    .where('circle_id', '=', circleId)
    .where('user_id', '=', userId)
    .returning('user_id')
    .executeTakeFirst();
  if (!deleted) return undefined;
  await db
    .updateTable('circles')
    .set({ member_count: sql`member_count - 1` })
    .where('id', '=', circleId)
    .execute();
  return nextMembershipVersion(db, circleId, userId);
}

/** The membership of `userId`, locked for the change that follows. */
export async function lockMember(
  db: Kysely<MembersDb>,
  circleId: string,
  userId: string,
): Promise<MemberRow | undefined> {
  return db
    .selectFrom('members')
    .selectAll()
    .where('circle_id', '=', circleId)
    .where('user_id', '=', userId)
    .forUpdate()
    .executeTakeFirst();
}

/** Sets a member's role; the membership's new version. */
export async function setRole(
  db: Kysely<MembersDb>,
  circleId: string,
  userId: string,
  role: number,
): Promise<bigint> {
  await db
    .updateTable('members')
    .set({ role })
    .where('circle_id', '=', circleId)
    .where('user_id', '=', userId)
    .execute();
  return nextMembershipVersion(db, circleId, userId);
}

export type SafetyChanges = Partial<
  Pick<
    MemberRow,
    | 'responder'
    | 'primary_contact'
    | 'quiet_hours_enabled'
    | 'quiet_start_minute'
    | 'quiet_end_minute'
    | 'quiet_time_zone'
  >
>;

/** Applies safety-role changes; the row after them and the membership's new version. */
export async function setSafety(
  db: Kysely<MembersDb>,
  circleId: string,
  userId: string,
  changes: SafetyChanges,
): Promise<{ member: MemberRow; version: bigint }> {
  const member = await db
    .updateTable('members')
    .set(changes)
    .where('circle_id', '=', circleId)
    .where('user_id', '=', userId)
    .returningAll()
    .executeTakeFirstOrThrow();
  return { member, version: await nextMembershipVersion(db, circleId, userId) };
}

/** ListMembers: OWNER and ADMINs first (role 1, 2, 3), then by join time. */
export function membersPage(
  db: Kysely<MembersDb>,
  input: {
    circleId: string;
    role: number;
    respondersOnly: boolean;
    pageSize: number;
    pageToken: string;
    codec: PageTokenCodec;
  },
) {
  let query = db
    .selectFrom('members')
    .leftJoin('users', 'users.user_id', 'members.user_id')
    .leftJoin('membership_versions as v', (join) =>
      join
        .onRef('v.circle_id', '=', 'members.circle_id')
        .onRef('v.user_id', '=', 'members.user_id'),
    )
    .selectAll('members')
    .select([
      'users.username',
      'users.display_name',
      'users.avatar_url',
      'users.locked',
      'v.version',
    ])
    .where('members.circle_id', '=', input.circleId);
  if (input.role) query = query.where('members.role', '=', input.role);
  if (input.respondersOnly) query = query.where('members.responder', '=', true);
  return fetchPage(query, {
    columns: [
      { ref: 'members.role', direction: 'asc' },
      { ref: 'members.joined_at', direction: 'asc' },
      { ref: 'members.user_id', direction: 'asc' },
    ],
    pageSize: input.pageSize,
    pageToken: input.pageToken,
    codec: input.codec,
    binding: `circle.ListMembers|${input.circleId}|${input.role}|${input.respondersOnly}`,
    keysOf: (row) => [row.role, row.joined_at],
    idOf: (row) => row.user_id,
  });
}
