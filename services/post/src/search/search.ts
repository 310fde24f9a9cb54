import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { fetchPage } from '@kith/db';
import type {
  GetTrendingHashtagsResponseSchema,
  SearchPostsRequest,
  SearchPostsResponseSchema,
} from '@kith/gen/kith/post/v1/timeline_pb.js';
import type { SignedInCaller } from '@kith/runtime';
import type { PostApp } from '../app.js';
import { postMessages } from '../posts/post-view.js';
import { searchMatches, trendingTags } from './search-store.js';

/**
 * SearchPosts over Postgres full-text search, in the narrow scope the contract sets: the
 * caller's own posts; posts they liked, reposted, bookmarked, replied to or were mentioned in;
 * public posts of authors who opted in (indexable). Always only what they may see. Ranked by
 * relevance (ts_rank, rounded so the page token carries it exactly), newest first on ties.
 */
export async function searchPosts(
  app: PostApp,
  caller: SignedInCaller,
  req: SearchPostsRequest,
): Promise<MessageInitShape<typeof SearchPostsResponseSchema>> {
  const viewer = caller.principal.userId;
  const now = caller.now;
  const db = app.database.db;
  const matches = searchMatches(db, viewer, now, req);
  const page = await fetchPage(matches, {
    columns: [
      { ref: 'm.rank', direction: 'desc' },
      { ref: 'm.id', direction: 'desc' },
    ],
    pageSize: req.pageSize,
    pageToken: req.pageToken,
    codec: app.pageTokens,
    binding: `search:${viewer}:${JSON.stringify(searchKey(req))}`,
    keysOf: (r) => [r.rank],
    idOf: (r) => r.id,
  });
  return {
    posts: await postMessages(db, viewer, page.items, now, app.media),
    nextPageToken: page.nextPageToken,
  };
}

/** What a search page token is bound to: the query and every filter. */
const searchKey = (req: SearchPostsRequest) => [
  req.query,
  req.authorId,
  req.language,
  req.createdAfter ? timestampDate(req.createdAfter).toISOString() : '',
  req.createdBefore ? timestampDate(req.createdBefore).toISOString() : '',
];

const TREND_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * GetTrendingHashtags: tags of the last 24 hours' public posts, ranked by distinct accounts
 * (one account's many posts count once), then uses; limited and hidden posts left out.
 */
export async function getTrendingHashtags(
  app: PostApp,
  caller: SignedInCaller,
  limit: number,
): Promise<MessageInitShape<typeof GetTrendingHashtagsResponseSchema>> {
  const since = new Date(caller.now.getTime() - TREND_WINDOW_MS);
  const rows = await trendingTags(app.database.db, since, caller.now, limit || 10);
  return {
    hashtags: rows.map((r) => ({ tag: r.tag, uses24h: r.uses, accounts24h: r.accounts })),
  };
}
