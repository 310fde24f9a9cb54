import type { MessageInitShape } from '@bufbuild/protobuf';
import type { Envelope } from '@kith/gen/kith/events/v1/events_pb.js';
import { PostAudience_Kind } from '@kith/gen/kith/events/v1/post_events_pb.js';
import type {
  PostAudience,
  PostCommentCreated,
  PostCreated,
  PostDeleted,
  PostEdited,
} from '@kith/gen/kith/events/v1/post_events_pb.js';
import { PostChange } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type {
  PostCountsEventSchema,
  PostEventSchema,
} from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import { frame } from './frame.js';
import type { RoutedFrame } from './frame.js';
import { circleTopic, postTopic } from './topics.js';
import type { Topic } from './topics.js';

// The post rows of realtime.proto's table. Frames carry ids, the change, revisions, counts and
// versions; never text, media, mentions, hashtags, the audience, the deletion reason or who
// liked or reposted (clients fetch content through PostService, which applies the audience,
// blocks and moderation per reader).

type PostFields = Omit<MessageInitShape<typeof PostEventSchema>, '$typeName'>;
type Counts = Pick<
  MessageInitShape<typeof PostCountsEventSchema>,
  'replyCount' | 'likeCount' | 'repostCount' | 'quoteCount'
>;

/** The circles of a CIRCLES audience; none for the other kinds (or no audience). */
export function circlesOf(audience: PostAudience | undefined): string[] {
  return audience?.kind === PostAudience_Kind.CIRCLES ? audience.circleIds : [];
}

function post(envelope: Envelope, topic: Topic, fields: PostFields): RoutedFrame {
  return frame(envelope, topic, { case: 'post', value: fields });
}

/** A PostCountsEvent on "post:<postId>" carrying only the counters the change touched. */
export function postCounts(
  envelope: Envelope,
  postId: string,
  counts: Counts,
  version: bigint,
): RoutedFrame {
  return frame(envelope, postTopic(postId), {
    case: 'postCounts',
    value: { postId, ...counts, version },
  });
}

/** A quote moved the quoted post's quote count: its "post:<id>" hears of it. */
function quoteCount(
  envelope: Envelope,
  quote: { quotePostId: string; quotedPostQuoteCount: number; quotedPostVersion: bigint },
): RoutedFrame[] {
  if (!quote.quotePostId) return [];
  return [
    postCounts(
      envelope,
      quote.quotePostId,
      { quoteCount: quote.quotedPostQuoteCount },
      quote.quotedPostVersion,
    ),
  ];
}

/** Thread ids of a post: set for replies only. */
function thread(replyToPostId: string, rootPostId: string) {
  return replyToPostId ? { replyToPostId, rootPostId } : {};
}

/**
 * post.created: CREATED on each "circle:<id>" of a CIRCLES audience (public, followers and
 * mentioned-only posts have no live home); a quote also moves the quoted post's count. The
 * event carries no revision: 1 for a new post (version 1), unknown (0) for a post restored
 * after a moderation removal.
 */
export function postCreated(envelope: Envelope, e: PostCreated): RoutedFrame[] {
  const fields: PostFields = {
    postId: e.postId,
    change: PostChange.CREATED,
    authorUserId: e.authorId,
    revision: e.version === 1n ? 1 : 0,
    version: e.version,
  };
  return [
    ...circlesOf(e.audience).map((circleId) => post(envelope, circleTopic(circleId), fields)),
    ...quoteCount(envelope, e),
  ];
}

/**
 * post.edited: EDITED on "post:<id>" and on each circle still in the audience; DELETED on each
 * circle the edit dropped from it. Readers the narrower audience no longer admits are
 * unsubscribed by the access re-check (access-changes.ts), not by a frame.
 */
export function postEdited(envelope: Envelope, e: PostEdited): RoutedFrame[] {
  const fields: PostFields = {
    postId: e.postId,
    authorUserId: e.authorId,
    ...thread(e.replyToPostId, e.rootPostId),
    revision: e.revision,
    version: e.version,
  };
  const still = circlesOf(e.audience);
  const dropped = circlesOf(e.previousAudience).filter((c) => !still.includes(c));
  const edited = { ...fields, change: PostChange.EDITED };
  return [
    post(envelope, postTopic(e.postId), edited),
    ...still.map((circleId) => post(envelope, circleTopic(circleId), edited)),
    ...dropped.map((circleId) =>
      post(envelope, circleTopic(circleId), { ...fields, change: PostChange.DELETED }),
    ),
  ];
}

/**
 * post.deleted: DELETED on "post:<id>" (its subscriptions end after it) and on each circle of
 * its audience; a reply's parent and a quote's quoted post get their new counts. Never why.
 */
export function postDeleted(envelope: Envelope, e: PostDeleted): RoutedFrame[] {
  const deleted: PostFields = {
    postId: e.postId,
    change: PostChange.DELETED,
    authorUserId: e.authorId,
    ...thread(e.replyToPostId, e.rootPostId),
    version: e.version,
  };
  return [
    post(envelope, postTopic(e.postId), deleted),
    ...circlesOf(e.audience).map((circleId) => post(envelope, circleTopic(circleId), deleted)),
    ...(e.replyToPostId
      ? [postCounts(envelope, e.replyToPostId, { replyCount: e.parentReplyCount }, e.parentVersion)]
      : []),
    ...quoteCount(envelope, e),
  ];
}

/**
 * post.comment_created: the reply, CREATED, on "post:<parent>" then its new reply count there,
 * and CREATED on "post:<root>" when the thread's first post is another one; a quoting reply
 * also moves the quoted post's count.
 */
export function postCommentCreated(envelope: Envelope, e: PostCommentCreated): RoutedFrame[] {
  const created: PostFields = {
    postId: e.postId,
    change: PostChange.CREATED,
    authorUserId: e.authorId,
    replyToPostId: e.parentPostId,
    rootPostId: e.rootPostId,
    revision: 1,
    version: e.version,
  };
  return [
    post(envelope, postTopic(e.parentPostId), created),
    postCounts(envelope, e.parentPostId, { replyCount: e.parentReplyCount }, e.parentVersion),
    ...(e.rootPostId && e.rootPostId !== e.parentPostId
      ? [post(envelope, postTopic(e.rootPostId), created)]
      : []),
    ...quoteCount(envelope, e),
  ];
}
