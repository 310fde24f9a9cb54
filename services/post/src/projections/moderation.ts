import { timestampDate } from '@bufbuild/protobuf/wkt';
import { isUuid } from '@kith/bus';
import { PostDeletionReason } from '@kith/gen/kith/events/v1/post_events_pb.js';
import type { ModerationEnforcement } from '@kith/gen/kith/events/v1/moderation_events_pb.js';
import { decodeEvent } from '@kith/runtime';
import type { ConsumerSpec } from '@kith/runtime';
import type { PostApp } from '../app.js';
import type { PostDatabase } from '../db/schema.js';
import { emitCreated } from '../posts/post-events.js';
import { bumpCount, postForModeration, setPostModeration, undelete } from '../posts/post-store.js';
import type { PostTrx } from '../posts/post-store.js';
import { softDelete } from '../posts/posts.js';
import { MODERATION } from '../posts/visibility-store.js';
import { applyAccountEnforcement } from './user-store.js';

/** The post's own moderation state under `e`: the most restrictive that applies. */
function stateOf(e: ModerationEnforcement | undefined): number {
  if (e?.hidden) return MODERATION.HIDDEN;
  if (e?.underReview) return MODERATION.UNDER_REVIEW;
  if (e?.sensitive) return MODERATION.MARKED_SENSITIVE;
  return MODERATION.NONE;
}

/**
 * Applies the enforcement of a post subject by its version (older and repeated events change
 * nothing): hidden, under review and sensitive as the post's moderation state; removed as a
 * deletion (post.deleted, reason MODERATION) that keeps the content, and a reversal of it as
 * the post back (post.created or post.comment_created again, with the next version; nobody is
 * notified again).
 */
async function moderatePost(
  app: PostApp,
  trx: PostTrx,
  postId: string,
  version: bigint,
  enforcement: ModerationEnforcement | undefined,
): Promise<void> {
  const post = await postForModeration(trx, postId);
  if (!post || version <= BigInt(post.moderation_version)) return;
  const at = app.clock();
  await setPostModeration(trx, post.id, {
    state: stateOf(enforcement),
    version,
    sensitive: enforcement?.sensitive ?? false,
  });
  if (enforcement?.removed && !post.deleted_at) {
    await softDelete(app, trx, post, PostDeletionReason.MODERATION, null, at);
  } else if (!enforcement?.removed && post.deletion_reason === PostDeletionReason.MODERATION) {
    const restored = await undelete(trx, post.id, PostDeletionReason.MODERATION);
    if (!restored) return;
    const parent = restored.reply_to_post_id
      ? await bumpCount(trx, restored.reply_to_post_id, 'reply_count', 1)
      : undefined;
    const quote = restored.quote_post_id
      ? await bumpCount(trx, restored.quote_post_id, 'quote_count', 1)
      : undefined;
    const parentAuthor = restored.reply_to_post_id
      ? (await postForModeration(trx, restored.reply_to_post_id))?.author_id
      : undefined;
    const quoteAuthor = restored.quote_post_id
      ? (await postForModeration(trx, restored.quote_post_id))?.author_id
      : undefined;
    await emitCreated(app, trx, restored, {
      parent: parent && parentAuthor ? { authorId: parentAuthor, ...parent } : undefined,
      quote: quote && quoteAuthor ? { authorId: quoteAuthor, ...quote } : undefined,
      notify: [],
    });
  }
}

/**
 * Platform moderation as post applies it (moderation_events.proto): content_actioned and
 * action_reversed on a post subject; account_actioned and action_reversed on a user subject
 * (limited: the author's posts reach only followers and circles; suspended or banned: hidden
 * from everyone but the author while it lasts). Each by its subject's enforcement version.
 */
export function postsFromModeration(app: PostApp): ConsumerSpec<PostDatabase> {
  return {
    durable: 'posts-from-moderation',
    subjects: 'kith.events.moderation.>',
    async handle(trx, message) {
      const { payload } = decodeEvent(message.data);
      if (
        payload.case !== 'moderationContentActioned' &&
        payload.case !== 'moderationAccountActioned' &&
        payload.case !== 'moderationActionReversed'
      ) {
        return;
      }
      const { version, enforcement } = payload.value;
      const subject =
        payload.case === 'moderationAccountActioned'
          ? { case: 'userId' as const, value: payload.value.userId }
          : payload.value.subject?.kind;
      if (!subject || typeof subject.value !== 'string' || !isUuid(subject.value)) return;
      if (subject.case === 'postId') {
        await moderatePost(app, trx, subject.value, version, enforcement);
      } else if (subject.case === 'userId') {
        await applyAccountEnforcement(trx, subject.value, {
          limited: enforcement?.limited ?? false,
          suspended: enforcement?.suspended ?? false,
          suspendedUntil: enforcement?.suspendedUntil
            ? timestampDate(enforcement.suspendedUntil)
            : null,
          banned: enforcement?.banned ?? false,
          version,
        });
      }
    },
  };
}
