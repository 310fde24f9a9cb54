import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { SignedInCaller } from '@kith/runtime';
import type { UserApp } from '../app.js';
import { followListPage, followRequestsPage } from './follow-store.js';
import { graphDb } from './graph-db.js';
import { requireListable, toUserSummary } from './relationships.js';

type PageRequest = { pageSize: number; pageToken: string };

/**
 * ListFollowers / ListFollowing: newest first. NotFound for an unknown or hidden user and one
 * who blocks the caller; an empty page when the user hides the lists from everyone else; users
 * blocked either way with the caller are left out of the page.
 */
export async function listFollowEdges(
  app: UserApp,
  caller: SignedInCaller,
  side: 'followers' | 'following',
  request: PageRequest & { userId: string },
) {
  const db = graphDb(app.database.db);
  const viewerId = caller.principal.userId;
  const profile = await requireListable(db, viewerId, request.userId, caller.now);
  if (profile.hideFollowLists && viewerId !== request.userId) {
    return { entries: [], nextPageToken: '' };
  }
  const page = await followListPage(db, {
    userId: request.userId,
    viewerId,
    side,
    now: caller.now,
    pageSize: request.pageSize,
    pageToken: request.pageToken,
    codec: app.pageTokens,
  });
  return {
    entries: page.items.map((row) => ({
      user: toUserSummary(row),
      followedAt: timestampFromDate(row.created_at),
    })),
    nextPageToken: page.nextPageToken,
  };
}

/** ListFollowRequests: requests pending to the caller, oldest first. */
export async function listFollowRequests(
  app: UserApp,
  caller: SignedInCaller,
  request: PageRequest,
) {
  const page = await followRequestsPage(graphDb(app.database.db), {
    targetId: caller.principal.userId,
    now: caller.now,
    ...request,
    codec: app.pageTokens,
  });
  return {
    followRequests: page.items.map((row) => ({
      requester: toUserSummary(row),
      requestedAt: timestampFromDate(row.created_at),
    })),
    nextPageToken: page.nextPageToken,
  };
}
