import { fetchPage } from '@kith/db';
import type { PageTokenCodec } from '@kith/db';
import { CircleModerationState } from '@kith/gen/kith/circle/v1/types_pb.js';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { CircleDatabase } from '../db/schema.js';
import { containsPattern } from './search-text.js';

/**
 * SearchCircles: discoverable circles not deleted or hidden by moderation, with every word in
 * the name or description, leaving out circles that ban the caller and circles whose OWNER
 * blocks the caller or is blocked by them. Circles whose name has every word come first, then
 * the larger ones; an empty query lists by size.
 */
export function searchPage(
  db: Kysely<CircleDatabase>,
  input: {
    callerId: string;
    words: readonly string[];
    joinRule: number;
    now: Date;
    pageSize: number;
    pageToken: string;
    codec: PageTokenCodec;
  },
) {
  const { callerId, words, now } = input;
  const nameHasAll =
    words.length === 0
      ? sql<number>`0`
      : sql<number>`case when ${sql.join(
          words.map((w) => sql`c.search_name like ${containsPattern(w)}`),
          sql` and `,
        )} then 1 else 0 end`;
  let inner = db
    .selectFrom('circles as c')
    .leftJoin('members as m', (join) =>
      join.onRef('m.circle_id', '=', 'c.id').on('m.user_id', '=', callerId),
    )
    .select([
      'c.id',
      'c.name',
      'c.description',
      'c.avatar_url',
      'c.member_count',
      'c.join_rule',
      'm.user_id as member_id',
      nameHasAll.as('name_rank'),
    ])
    .where('c.discoverable', '=', true)
    .where('c.deleted_at', 'is', null)
    .where('c.moderation_state', '=', CircleModerationState.NONE)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('bans as b')
            .select('b.user_id')
            .whereRef('b.circle_id', '=', 'c.id')
            .where('b.user_id', '=', callerId)
            .where((eb) => eb.or([eb('b.expires_at', 'is', null), eb('b.expires_at', '>', now)])),
        ),
      ),
    )
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('blocks as k')
            .select('k.blocker_id')
            .where('k.active', '=', true)
            .where((eb) =>
              eb.or([
                eb.and([
                  eb('k.blocker_id', '=', eb.ref('c.owner_id')),
                  eb('k.blocked_id', '=', callerId),
                ]),
                eb.and([
                  eb('k.blocker_id', '=', callerId),
                  eb('k.blocked_id', '=', eb.ref('c.owner_id')),
                ]),
              ]),
            ),
        ),
      ),
    );
  for (const word of words) inner = inner.where('c.search_text', 'like', containsPattern(word));
  if (input.joinRule) inner = inner.where('c.join_rule', '=', input.joinRule);
  const query = db.selectFrom(inner.as('s')).selectAll();
  return fetchPage(query, {
    columns: [
      { ref: 's.name_rank', direction: 'desc' },
      { ref: 's.member_count', direction: 'desc' },
      { ref: 's.id', direction: 'desc' },
    ],
    pageSize: input.pageSize,
    pageToken: input.pageToken,
    codec: input.codec,
    binding: `circle.SearchCircles|${callerId}|${input.joinRule}|${words.join(' ')}`,
    keysOf: (row) => [row.name_rank, row.member_count],
    idOf: (row) => row.id,
  });
}
