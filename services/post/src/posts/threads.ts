import type { MessageInitShape } from '@bufbuild/protobuf';
import { fetchPage } from '@kith/db';
import { NotFoundError } from '@kith/errors';
import type {
  GetThreadRequest,
  GetThreadResponseSchema,
  ListRepliesRequest,
  ListRepliesResponseSchema,
} from '@kith/gen/kith/post/v1/post_pb.js';
import { ReplySort } from '@kith/gen/kith/post/v1/post_pb.js';
import type { Caller } from '@kith/runtime';
import type { PostApp } from '../app.js';
import { visiblePost, visiblePosts } from './post-store.js';
import type { PostRecord } from './post-store.js';
import { postMessages } from './post-view.js';
import { ancestorChain, descendants, repliesOf } from './thread-store.js';

const notFound = () => new NotFoundError('post not found');

/** ListReplies: direct replies the caller may see, oldest, newest or top first. */
export async function listReplies(
  app: PostApp,
  caller: Caller,
  req: ListRepliesRequest,
): Promise<MessageInitShape<typeof ListRepliesResponseSchema>> {
  const viewer = caller.principal?.userId;
  const db = app.database.db;
  const parent = await visiblePost(db, viewer, req.postId, caller.now);
  if (!parent) throw notFound();
  const sort = req.sort === ReplySort.UNSPECIFIED ? ReplySort.OLDEST : req.sort;
  // Top: likes, reposts and replies counted together; ties oldest first.
  const query = repliesOf(db, parent.id, viewer, caller.now);
  const direction: 'asc' | 'desc' = sort === ReplySort.NEWEST ? 'desc' : 'asc';
  const columns =
    sort === ReplySort.TOP
      ? [
          { ref: 'r.score', direction: 'desc' as const },
          { ref: 'r.created_at', direction: 'asc' as const },
          { ref: 'r.id', direction: 'asc' as const },
        ]
      : [
          { ref: 'r.created_at', direction },
          { ref: 'r.id', direction },
        ];
  const page = await fetchPage(query, {
    columns,
    pageSize: req.pageSize,
    pageToken: req.pageToken,
    codec: app.pageTokens,
    binding: `replies:${parent.id}:${sort}:${viewer ?? ''}`,
    keysOf: (r) => (sort === ReplySort.TOP ? [r.score, r.created_at] : [r.created_at]),
    idOf: (r) => r.id,
  });
  return {
    replies: await postMessages(db, viewer, page.items, caller.now, app.media),
    nextPageToken: page.nextPageToken,
  };
}

const DEFAULT_HEIGHT = 20;
const DEFAULT_DEPTH = 6;
const DEFAULT_MAX_REPLIES = 50;

/**
 * GetThread: the post, its ancestors (root first, contiguous up from the post: the walk stops
 * below the first one the caller may not see) and its descendants depth-first, oldest first at
 * each level, within depth and max_replies; a subtree under a reply the caller may not see is
 * left out with it. The continuation token carries the last reply's path.
 */
export async function getThread(
  app: PostApp,
  caller: Caller,
  req: GetThreadRequest,
): Promise<MessageInitShape<typeof GetThreadResponseSchema>> {
  const viewer = caller.principal?.userId;
  const now = caller.now;
  const db = app.database.db;
  const post = await visiblePost(db, viewer, req.postId, now);
  if (!post) throw notFound();
  const height = req.parentHeight || DEFAULT_HEIGHT;
  const depth = req.depth || DEFAULT_DEPTH;
  const maxReplies = req.maxReplies || DEFAULT_MAX_REPLIES;

  // Ancestors: the chain of parent ids (one recursive query), then which of them are visible.
  const chain = post.reply_to_post_id ? await ancestorChain(db, post.reply_to_post_id, height) : [];
  const visible = await visiblePosts(
    db,
    viewer,
    chain.map((c) => c.id),
    now,
  );
  const ancestors: PostRecord[] = [];
  for (const link of chain) {
    const row = visible.get(link.id);
    if (!row || ancestors.length >= height) break;
    ancestors.push(row);
  }
  const last = chain[ancestors.length - 1];
  const ancestorsTruncated =
    chain.length > ancestors.length || (last !== undefined && last.reply_to_post_id !== null);

  // Descendants: visible replies only, the path of ids (UUIDv7, so time order) sorting them
  // depth-first with the oldest first at each level.
  const binding = `thread:${post.id}:${depth}:${viewer ?? ''}`;
  const after = req.pageToken ? app.pageTokens.decode(req.pageToken, binding).id : undefined;
  const tree = await descendants(db, post.id, viewer, now, { depth, after, limit: maxReplies + 1 });
  const page = tree.slice(0, maxReplies);
  const lastReply = page[page.length - 1];
  const messages = await postMessages(
    db,
    viewer,
    [...ancestors.reverse(), post, ...page],
    now,
    app.media,
  );
  const ancestorMessages = messages.slice(0, ancestors.length);
  return {
    ancestors: ancestorMessages,
    ancestorsTruncated,
    post: messages[ancestors.length],
    descendants: page.map((r, i) => ({
      post: messages[ancestors.length + 1 + i],
      depth: r.level,
      hasMoreReplies: r.level >= depth && r.reply_count > 0,
    })),
    nextPageToken:
      tree.length > maxReplies && lastReply
        ? app.pageTokens.encode({ keys: [], id: lastReply.path_key }, binding)
        : '',
  };
}
