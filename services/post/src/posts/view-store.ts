import type { MessageInitShape } from '@bufbuild/protobuf';
import type { UserSummarySchema } from '@kith/gen/kith/common/v1/common_pb.js';
import { sql, type Kysely } from 'kysely';
import type { PostDatabase } from '../db/schema.js';

type Db = Kysely<PostDatabase>;
type Summary = MessageInitShape<typeof UserSummarySchema>;

/** The summaries of `userIds` from post's projection; a user not projected shows the id alone. */
export async function summariesOf(
  db: Db,
  userIds: readonly string[],
): Promise<Map<string, Summary>> {
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
  return new Map(
    ids.map((id) => {
      const r = byId.get(id);
      return [
        id,
        {
          userId: id,
          username: r?.username ?? '',
          displayName: r?.display_name ?? '',
          avatarUrl: r?.avatar_url ?? '',
          locked: r?.locked ?? false,
        },
      ];
    }),
  );
}

/** What the viewer's own rows say about the posts: liked, bookmarked, reposted (one statement). */
export async function viewerStates(db: Db, viewer: string, ids: string[]) {
  const liked = new Set<string>();
  const bookmarked = new Set<string>();
  const reposted = new Set<string>();
  if (ids.length > 0) {
    const mine = (table: 'likes' | 'bookmarks' | 'reposts', kind: number) =>
      db
        .selectFrom(table)
        .select(['post_id', sql.lit(kind).as('kind')])
        .where('user_id', '=', viewer)
        .where('post_id', 'in', ids);
    const rows = await mine('likes', 1)
      .unionAll(mine('bookmarks', 2))
      .unionAll(mine('reposts', 3))
      .execute();
    for (const { post_id, kind } of rows) {
      (kind === 1 ? liked : kind === 2 ? bookmarked : reposted).add(post_id);
    }
  }
  return { liked, bookmarked, reposted };
}

/** The viewer's live circles among `circleIds`, with their role. */
export async function viewerCircles(db: Db, viewer: string, circleIds: string[]) {
  if (circleIds.length === 0) return new Map<string, number>();
  const rows = await db
    .selectFrom('circle_members as m')
    .innerJoin('circles as c', 'c.circle_id', 'm.circle_id')
    .select(['m.circle_id', 'm.role'])
    .where('m.user_id', '=', viewer)
    .where('m.role', '>', 0)
    .where('c.deleted', '=', false)
    .where('m.circle_id', 'in', circleIds)
    .execute();
  return new Map(rows.map((r) => [r.circle_id, r.role]));
}

export async function activeHides(db: Db, postIds: string[]) {
  if (postIds.length === 0) return [];
  return db
    .selectFrom('circle_hides')
    .select(['circle_id', 'post_id', 'reason', 'note', 'hidden_at'])
    .where('post_id', 'in', postIds)
    .where('active', '=', true)
    .execute();
}

/** Whether moderation limited the user's account. */
export async function accountLimited(db: Db, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('users')
    .select('limited')
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row?.limited ?? false;
}
