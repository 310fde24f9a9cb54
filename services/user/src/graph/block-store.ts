import { fetchPage } from '@kith/db';
import type { PageTokenCodec } from '@kith/db';
import type { Kysely } from 'kysely';
import { profileShownAt } from '../profiles/profile-visibility.js';
import type { GraphViewDb } from './graph-db.js';
import type { ListedUser } from './follow-store.js';

/** Adds the block; false when it already existed. */
export async function insertBlock(
  db: Kysely<GraphViewDb>,
  blockerId: string,
  blockedId: string,
  now: Date,
): Promise<boolean> {
  const row = await db
    .insertInto('blocks')
    .values({ blocker_id: blockerId, blocked_id: blockedId, created_at: now })
    .onConflict((oc) => oc.columns(['blocker_id', 'blocked_id']).doNothing())
    .returning('blocker_id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Ends the block; false when there was none. */
export async function deleteBlock(
  db: Kysely<GraphViewDb>,
  blockerId: string,
  blockedId: string,
): Promise<boolean> {
  const row = await db
    .deleteFrom('blocks')
    .where('blocker_id', '=', blockerId)
    .where('blocked_id', '=', blockedId)
    .returning('blocker_id')
    .executeTakeFirst();
  return row !== undefined;
}

/** A page of the users `blockerId` blocks, newest first (hidden profiles left out). */
export function blocksPage(
  db: Kysely<GraphViewDb>,
  input: {
    blockerId: string;
    now: Date;
    pageSize: number;
    pageToken: string;
    codec: PageTokenCodec;
  },
) {
  const query = db
    .selectFrom('blocks')
    .innerJoin('profiles', 'profiles.user_id', 'blocks.blocked_id')
    .select([
      'profiles.user_id',
      'profiles.username',
      'profiles.display_name',
      'profiles.avatar_url',
      'profiles.locked',
      'blocks.created_at',
    ])
    .where('blocks.blocker_id', '=', input.blockerId)
    .where(profileShownAt(input.now));
  return fetchPage(query, {
    columns: [
      { ref: 'blocks.created_at', direction: 'desc' },
      { ref: 'blocks.blocked_id', direction: 'desc' },
    ],
    pageSize: input.pageSize,
    pageToken: input.pageToken,
    codec: input.codec,
    binding: `user.ListBlocks|${input.blockerId}`,
    keysOf: (row: ListedUser) => [row.created_at],
    idOf: (row: ListedUser) => row.user_id,
  });
}
