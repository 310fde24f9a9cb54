import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { fetchPage } from '@kith/db';
import { NotFoundError } from '@kith/errors';
import type {
  ListBookmarksRequest,
  ListBookmarksResponseSchema,
  ListLikesRequest,
  ListLikesResponseSchema,
} from '@kith/gen/kith/post/v1/engagement_pb.js';
import type { Caller, SignedInCaller } from '@kith/runtime';
import type { PostApp } from '../app.js';
import { requireAmplifiable } from '../posts/audience.js';
import { bumpCount, visiblePost } from '../posts/post-store.js';
import type { PostRecord } from '../posts/post-store.js';
import { postMessages } from '../posts/post-view.js';
import { summariesOf } from '../posts/view-store.js';
import {
  addMark,
  addRepost,
  bookmarkedPosts,
  likersOf,
  removeMark,
  removeRepost,
} from './engagement-store.js';

const notFound = () => new NotFoundError('post not found');

async function requireVisible(
  trx: PostApp['database']['db'],
  userId: string,
  postId: string,
  now: Date,
): Promise<PostRecord> {
  const post = await visiblePost(trx, userId, postId, now);
  if (!post) throw notFound();
  return post;
}

/** Like: once per user and post; liking again answers the count with no new event. */
export async function like(app: PostApp, caller: SignedInCaller, postId: string): Promise<number> {
  const userId = caller.principal.userId;
  await app.quotas.engagement(userId);
  return app.database.transaction(async (trx) => {
    const post = await requireVisible(trx, userId, postId, caller.now);
    if (!(await addMark(trx, 'likes', post.id, userId, caller.now))) return post.like_count;
    const counts = await bumpCount(trx, post.id, 'like_count', 1);
    await app.emit(trx, userId, {
      case: 'postLiked',
      value: {
        postId: post.id,
        postAuthorId: post.author_id,
        userId,
        likeCount: counts.count,
        version: counts.version,
      },
    });
    return counts.count;
  });
}

/** Unlike: succeeds when there is no like; NotFound for a post the caller may not see. */
export async function unlike(
  app: PostApp,
  caller: SignedInCaller,
  postId: string,
): Promise<number> {
  const userId = caller.principal.userId;
  return app.database.transaction(async (trx) => {
    const post = await requireVisible(trx, userId, postId, caller.now);
    if (!(await removeMark(trx, 'likes', post.id, userId))) return post.like_count;
    const counts = await bumpCount(trx, post.id, 'like_count', -1);
    await app.emit(trx, userId, {
      case: 'postUnliked',
      value: {
        postId: post.id,
        postAuthorId: post.author_id,
        userId,
        likeCount: counts.count,
        version: counts.version,
      },
    });
    return counts.count;
  });
}

/** ListLikes: newest first; likers hidden from the caller by a block either way are left out. */
export async function listLikes(
  app: PostApp,
  caller: Caller,
  req: ListLikesRequest,
): Promise<MessageInitShape<typeof ListLikesResponseSchema>> {
  const viewer = caller.principal?.userId;
  const db = app.database.db;
  const post = await visiblePost(db, viewer, req.postId, caller.now);
  if (!post) throw notFound();
  const query = likersOf(db, post.id, viewer);
  const page = await fetchPage(query, {
    columns: [
      { ref: 'l.created_at', direction: 'desc' },
      { ref: 'l.user_id', direction: 'desc' },
    ],
    pageSize: req.pageSize,
    pageToken: req.pageToken,
    codec: app.pageTokens,
    binding: `likes:${post.id}:${viewer ?? ''}`,
    keysOf: (r) => [r.created_at],
    idOf: (r) => r.user_id,
  });
  const users = await summariesOf(
    db,
    page.items.map((r) => r.user_id),
  );
  return {
    likes: page.items.map((r) => ({
      user: users.get(r.user_id),
      likedAt: timestampFromDate(r.created_at),
    })),
    nextPageToken: page.nextPageToken,
  };
}

/** Bookmark: private to the caller; bookmarking again changes nothing. */
export async function bookmark(
  app: PostApp,
  caller: SignedInCaller,
  postId: string,
): Promise<void> {
  const userId = caller.principal.userId;
  await app.quotas.engagement(userId);
  await app.database.transaction(async (trx) => {
    const post = await requireVisible(trx, userId, postId, caller.now);
    await addMark(trx, 'bookmarks', post.id, userId, caller.now);
  });
}

/** Unbookmark: succeeds when there is none. */
export async function unbookmark(
  app: PostApp,
  caller: SignedInCaller,
  postId: string,
): Promise<void> {
  await app.database.transaction(async (trx) => {
    await removeMark(trx, 'bookmarks', postId, caller.principal.userId);
  });
}

/** ListBookmarks: newest bookmark first; posts no longer visible are left out. */
export async function listBookmarks(
  app: PostApp,
  caller: SignedInCaller,
  req: ListBookmarksRequest,
): Promise<MessageInitShape<typeof ListBookmarksResponseSchema>> {
  const viewer = caller.principal.userId;
  const db = app.database.db;
  const query = bookmarkedPosts(db, viewer, caller.now);
  const page = await fetchPage(query, {
    columns: [
      { ref: 'b.created_at', direction: 'desc' },
      { ref: 'b.post_id', direction: 'desc' },
    ],
    pageSize: req.pageSize,
    pageToken: req.pageToken,
    codec: app.pageTokens,
    binding: `bookmarks:${viewer}`,
    keysOf: (r) => [r.bookmarked_at],
    idOf: (r) => r.id,
  });
  return {
    posts: await postMessages(db, viewer, page.items, caller.now, app.media),
    nextPageToken: page.nextPageToken,
  };
}

/**
 * Repost: only a public post, or a followers-only post whose audience is the caller's own
 * followers; reposting again answers the count with no new event.
 */
export async function repost(
  app: PostApp,
  caller: SignedInCaller,
  postId: string,
): Promise<number> {
  const userId = caller.principal.userId;
  await app.quotas.engagement(userId);
  return app.database.transaction(async (trx) => {
    const post = await requireVisible(trx, userId, postId, caller.now);
    requireAmplifiable(post, userId, 'repost');
    if (!(await addRepost(trx, post.id, userId, caller.now))) return post.repost_count;
    const counts = await bumpCount(trx, post.id, 'repost_count', 1);
    await app.emit(trx, userId, {
      case: 'postReposted',
      value: {
        postId: post.id,
        postAuthorId: post.author_id,
        userId,
        repostCount: counts.count,
        version: counts.version,
      },
    });
    return counts.count;
  });
}

/**
 * Unrepost: removes the caller's repost (post.unreposted), even of a post they may no longer
 * see; succeeds when there is none. The count answered is 0 for a post they may not see.
 */
export async function unrepost(
  app: PostApp,
  caller: SignedInCaller,
  postId: string,
): Promise<number> {
  const userId = caller.principal.userId;
  return app.database.transaction(async (trx) => {
    const postAuthorId = await removeRepost(trx, postId, userId);
    if (postAuthorId) {
      const counts = await bumpCount(trx, postId, 'repost_count', -1);
      await app.emit(trx, userId, {
        case: 'postUnreposted',
        value: {
          postId,
          postAuthorId,
          userId,
          repostCount: counts.count,
          version: counts.version,
        },
      });
    }
    const post = await visiblePost(trx, userId, postId, caller.now);
    return post?.repost_count ?? 0;
  });
}
