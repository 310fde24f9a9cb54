import { paginate } from '@kith/db';
import type { PageCursor } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { GraphDb } from '../graph/relationship-store.js';
import type { ProfilesDb } from './profile-store.js';
import { profileShownAt } from './profile-visibility.js';
import { escapeLike } from './search-trigrams.js';

export interface SearchInput {
  viewerId: string;
  /** Lower-cased, without a leading "@". */
  text: string;
  /** Its trigrams (search-trigrams.ts); empty for a prefix-only search. */
  trigrams: string[];
  /** A leading "@": usernames only. */
  usernameOnly: boolean;
  followingOnly: boolean;
  now: Date;
  pageSize: number;
  cursor?: PageCursor | undefined;
}

export interface SearchRow {
  user_id: string;
  username: string;
  display_name: string;
  avatar_url: string;
  locked: boolean;
  score: number;
}

/**
 * Discoverable users the viewer may see whose username (or display name, unless usernameOnly)
 * starts with the text, or shares enough of its trigrams (a typo still finds them). Ranked:
 * username prefix, display-name prefix (of any word), then by the share of the query's
 * trigrams the profile has; ties by id. Users hidden as GetProfile hides them, users blocked
 * either way and (followingOnly) users the viewer does not follow are left out.
 */
export async function searchProfiles(
  db: Kysely<ProfilesDb & GraphDb>,
  input: SearchInput,
): Promise<SearchRow[]> {
  const prefix = `${escapeLike(input.text)}%`;
  const wordPrefix = `% ${escapeLike(input.text)}%`;
  const q = input.trigrams;
  const shared = (column: 'username_trigrams' | 'name_trigrams') =>
    sql<number>`cardinality(array(select unnest(${sql.ref(`p.${column}`)}) intersect select unnest(${sql.val(q)}::text[])))`;
  // 0..100: the share of the query's trigrams the profile has.
  const overlap =
    q.length === 0
      ? sql<number>`0`
      : input.usernameOnly
        ? sql<number>`(${shared('username_trigrams')} * 100 / ${q.length})`
        : sql<number>`(greatest(${shared('username_trigrams')}, ${shared('name_trigrams')}) * 100 / ${q.length})`;
  const usernamePrefix = sql<boolean>`lower(p.username) like ${prefix}`;
  const namePrefix = input.usernameOnly
    ? sql<boolean>`false`
    : sql<boolean>`(lower(p.display_name) like ${prefix} or lower(p.display_name) like ${wordPrefix})`;
  const score = sql<number>`(case when ${usernamePrefix} then 300 when ${namePrefix} then 200 else 0 end + ${overlap})::int`;
  const fuzzy =
    q.length === 0
      ? sql<boolean>`false`
      : input.usernameOnly
        ? sql<boolean>`p.username_trigrams && ${sql.val(q)}::text[]`
        : sql<boolean>`(p.username_trigrams && ${sql.val(q)}::text[] or p.name_trigrams && ${sql.val(q)}::text[])`;

  let inner = db
    .selectFrom('profiles as p')
    .innerJoin('settings as s', 's.user_id', 'p.user_id')
    .select([
      'p.user_id',
      'p.username',
      'p.display_name',
      'p.avatar_url',
      'p.locked',
      score.as('score'),
    ])
    .where('s.discoverable', '=', true)
    .where(profileShownAt(input.now, 'p'))
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('blocks as b')
            .select('b.blocker_id')
            .where((b) =>
              b.or([
                b.and([
                  b('b.blocker_id', '=', input.viewerId),
                  b('b.blocked_id', '=', b.ref('p.user_id')),
                ]),
                b.and([
                  b('b.blocked_id', '=', input.viewerId),
                  b('b.blocker_id', '=', b.ref('p.user_id')),
                ]),
              ]),
            ),
        ),
      ),
    )
    .where(sql<boolean>`(${usernamePrefix} or ${namePrefix} or ${fuzzy})`);
  if (input.followingOnly) {
    inner = inner.where((eb) =>
      eb.exists(
        eb
          .selectFrom('follows as f')
          .select('f.followee_id')
          .where('f.follower_id', '=', input.viewerId)
          .where('f.followee_id', '=', eb.ref('p.user_id')),
      ),
    );
  }
  // A weak fuzzy match (under 40 % of the query's trigrams) is noise, not a typo.
  const ranked = db.selectFrom(inner.as('r')).selectAll().where('r.score', '>=', 40);
  const rows = await paginate(ranked, {
    columns: [
      { ref: 'r.score', direction: 'desc' },
      { ref: 'r.user_id', direction: 'desc' },
    ],
    pageSize: input.pageSize,
    cursor: input.cursor,
  }).execute();
  return rows;
}
