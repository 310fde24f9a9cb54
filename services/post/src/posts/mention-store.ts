import { MentionPolicy } from '@kith/gen/kith/user/v1/types_pb.js';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { PostDatabase, StoredMention } from '../db/schema.js';
import { usersByUsername } from './post-store.js';
import { visibleToUser } from './visibility-store.js';

type Db = Kysely<PostDatabase>;

/**
 * The users `usernames` name whom the author may mention, in the order written: a known user,
 * not blocked either way, whose mention policy admits the author (EVERYONE, or FOLLOWING when
 * they follow the author); the author's own name counts as written. Others stay plain text.
 */
export async function resolveMentions(
  db: Db,
  authorId: string,
  usernames: readonly string[],
): Promise<StoredMention[]> {
  const users = await usersByUsername(db, usernames);
  const ids = [...users.values()].map((u) => u.user_id).filter((id) => id !== authorId);
  const [blocked, following] =
    ids.length === 0
      ? [new Set<string>(), new Set<string>()]
      : await Promise.all([
          db
            .selectFrom('blocks')
            .select(['blocker_id', 'blocked_id'])
            .where((eb) =>
              eb.or([
                eb.and([eb('blocker_id', '=', authorId), eb('blocked_id', 'in', ids)]),
                eb.and([eb('blocked_id', '=', authorId), eb('blocker_id', 'in', ids)]),
              ]),
            )
            .execute()
            .then(
              (rows) =>
                new Set(rows.map((r) => (r.blocker_id === authorId ? r.blocked_id : r.blocker_id))),
            ),
          db
            .selectFrom('follows')
            .select('follower_id')
            .where('followee_id', '=', authorId)
            .where('follower_id', 'in', ids)
            .execute()
            .then((rows) => new Set(rows.map((r) => r.follower_id))),
        ]);
  const admits = (u: { user_id: string; mention_policy: number }) => {
    if (u.user_id === authorId) return true;
    if (blocked.has(u.user_id)) return false;
    if (u.mention_policy === MentionPolicy.NOBODY) return false;
    if (u.mention_policy === MentionPolicy.FOLLOWING) return following.has(u.user_id);
    return true;
  };
  return usernames
    .map((name) => users.get(name))
    .filter((u): u is NonNullable<typeof u> => u !== undefined && admits(u))
    .map((u) => ({ user_id: u.user_id, username: u.username }));
}

/** Which of `userIds` may read the post: mentions notify only readers (they grant nothing). */
export async function readersAmong(
  db: Db,
  postId: string,
  userIds: readonly string[],
  now: Date,
): Promise<string[]> {
  if (userIds.length === 0) return [];
  const rows = await db
    .selectFrom(sql<{ id: string }>`unnest(${sql.val([...userIds])}::uuid[])`.as<'u'>(sql`u(id)`))
    .innerJoin('posts as p', (join) => join.on('p.id', '=', postId))
    .select('u.id')
    .where(visibleToUser(sql.ref('u.id'), now))
    .execute();
  const readers = new Set(rows.map((r) => r.id));
  return userIds.filter((id) => readers.has(id));
}
