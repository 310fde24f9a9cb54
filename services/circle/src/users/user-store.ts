import type { Kysely } from 'kysely';
import type { CircleDatabase } from '../db/schema.js';

export type UsersDb = CircleDatabase;

/** The summaries circle shows: the profile projection `@kith/runtime` keeps for it. */
export { profileSummary as toUserSummary, profileSummaries as summariesOf } from '@kith/runtime';

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
