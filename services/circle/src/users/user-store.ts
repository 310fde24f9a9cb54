import type { Kysely } from 'kysely';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { UserSummarySchema } from '@kith/gen/kith/common/v1/common_pb.js';
import type { CircleDatabase, UsersTable } from '../db/schema.js';

export type UsersDb = CircleDatabase;

/**
 * Applies a user.profile_updated snapshot when its version is newer than the one held, so a
 * redelivered or replayed old event never overwrites a newer profile.
 */
export async function applyProfile(
  db: Kysely<UsersDb>,
  profile: Omit<UsersTable, 'version'> & { version: bigint },
): Promise<void> {
  await db
    .insertInto('users')
    .values({ ...profile, version: profile.version.toString() })
    .onConflict((oc) =>
      oc
        .column('user_id')
        .doUpdateSet((eb) => ({
          username: eb.ref('excluded.username'),
          display_name: eb.ref('excluded.display_name'),
          avatar_url: eb.ref('excluded.avatar_url'),
          locked: eb.ref('excluded.locked'),
          version: eb.ref('excluded.version'),
        }))
        .where('users.version', '<', (eb) => eb.ref('excluded.version')),
    )
    .execute();
}

/** The summary of a user as circle shows it; a user not (yet) projected shows the id alone. */
export function toUserSummary(
  userId: string,
  row:
    | { [K in 'username' | 'display_name' | 'avatar_url' | 'locked']: UsersTable[K] | null }
    | undefined,
): MessageInitShape<typeof UserSummarySchema> {
  return {
    userId,
    username: row?.username ?? '',
    displayName: row?.display_name ?? '',
    avatarUrl: row?.avatar_url ?? '',
    locked: row?.locked ?? false,
  };
}

/** The summaries of `userIds`, by id (one query). */
export async function summariesOf(
  db: Kysely<UsersDb>,
  userIds: readonly string[],
): Promise<Map<string, MessageInitShape<typeof UserSummarySchema>>> {
  const ids = [...new Set(userIds)];
  const rows =
    ids.length === 0
      ? []
      : await db
          .selectFrom('users')
          .select(['user_id', 'username', 'display_name', 'avatar_url', 'locked'])
          .where('user_id', 'in', ids)
          .execute();
  const byId = new Map(rows.map((r) => [r.user_id, r]));
  return new Map(ids.map((id) => [id, toUserSummary(id, byId.get(id))]));
}

/** Applies user.blocked (active) or user.unblocked when its version is newer than the one held. */
export async function applyBlock(
  db: Kysely<UsersDb>,
  edge: { blockerId: string; blockedId: string; active: boolean; version: bigint },
): Promise<void> {
  await db
    .insertInto('blocks')
    .values({
      blocker_id: edge.blockerId,
      blocked_id: edge.blockedId,
      active: edge.active,
      version: edge.version.toString(),
    })
    .onConflict((oc) =>
      oc
        .columns(['blocker_id', 'blocked_id'])
        .doUpdateSet((eb) => ({
          active: eb.ref('excluded.active'),
          version: eb.ref('excluded.version'),
        }))
        .where('blocks.version', '<', (eb) => eb.ref('excluded.version')),
    )
    .execute();
}

/** Whether either of the two users blocks the other. */
export async function blockedEitherWay(
  db: Kysely<UsersDb>,
  a: string,
  b: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('blocks')
    .select('blocker_id')
    .where('active', '=', true)
    .where((eb) =>
      eb.or([
        eb.and([eb('blocker_id', '=', a), eb('blocked_id', '=', b)]),
        eb.and([eb('blocker_id', '=', b), eb('blocked_id', '=', a)]),
      ]),
    )
    .executeTakeFirst();
  return row !== undefined;
}

/** Whether circle knows the user (its profile was projected and not erased). */
export async function userKnown(db: Kysely<UsersDb>, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('users')
    .select('user_id')
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row !== undefined;
}
