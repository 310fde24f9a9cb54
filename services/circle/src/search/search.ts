import type { SignedInCaller } from '@kith/runtime';
import type { CircleApp } from '../app.js';
import { searchPage } from './search-store.js';
import { queryWords } from './search-text.js';

/** SearchCircles: discoverable circles as previews (see searchPage for who sees what). */
export async function searchCircles(
  app: CircleApp,
  caller: SignedInCaller,
  req: { query: string; joinRule: number; pageSize: number; pageToken: string },
) {
  const page = await searchPage(app.database.db, {
    callerId: caller.principal.userId,
    words: queryWords(req.query),
    joinRule: req.joinRule,
    now: caller.now,
    pageSize: req.pageSize,
    pageToken: req.pageToken,
    codec: app.pageTokens,
  });
  return {
    circles: page.items.map((row) => ({
      circleId: row.id,
      name: row.name,
      description: row.description,
      avatarUrl: row.avatar_url,
      memberCount: row.member_count,
      joinRule: row.join_rule,
      member: row.member_id !== null,
    })),
    nextPageToken: page.nextPageToken,
  };
}
