import { isUuid } from '@kith/bus';
import { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';
import { PostDeletionReason } from '@kith/gen/kith/events/v1/post_events_pb.js';
import { decodeEvent, exportPartConsumer } from '@kith/runtime';
import type { BlobStorage, ConsumerSpec } from '@kith/runtime';
import type { Kysely } from 'kysely';
import type { PostApp } from '../app.js';
import type { PostDatabase } from '../db/schema.js';
import { AUDIENCE } from '../db/schema.js';
import { eraseMediaOf, mediaDataOf } from '../media/media.js';
import { bumpCount } from '../posts/post-store.js';
import { softDelete } from '../posts/posts.js';
import { exportMarks, exportPosts, forgetUser, livePostsBy, marksBy } from './data-store.js';

const AUDIENCE_NAMES: Record<number, string> = {
  [AUDIENCE.PUBLIC]: 'public',
  [AUDIENCE.FOLLOWERS]: 'followers',
  [AUDIENCE.CIRCLES]: 'circles',
  [AUDIENCE.MENTIONED_ONLY]: 'mentioned_only',
};

/**
 * `user.erased` (erasure saga step 2): every post of the user is deleted (post.deleted, reason
 * ERASURE, so counts and the other services follow), their likes and reposts are taken back
 * (post.unliked / post.unreposted, counts move), their media rows and stored objects are
 * deleted (but what moderation holds as report evidence), then every row about them goes
 * (forgetUser). Post acknowledges with data.erasure_completed in the same transaction, also when it held
 * nothing; a redelivery finds nothing and acknowledges again, which the saga ignores.
 */
export function onUserErased(app: PostApp): ConsumerSpec<PostDatabase> {
  return {
    durable: 'erase-author',
    subjects: 'kith.events.user.erased',
    async handle(trx, message) {
      const { payload } = decodeEvent(message.data);
      if (payload.case !== 'userErased' || !isUuid(payload.value.userId)) return;
      const userId = payload.value.userId;
      const at = app.clock();
      const posts = await livePostsBy(trx, userId);
      for (const post of posts) {
        await softDelete(app, trx, post, PostDeletionReason.ERASURE, null, at);
      }
      const { likes, reposts } = await marksBy(trx, userId);
      for (const like of likes) {
        if (like.author_id === userId) continue;
        const counts = await bumpCount(trx, like.post_id, 'like_count', -1);
        await app.emit(trx, null, {
          case: 'postUnliked',
          value: {
            postId: like.post_id,
            postAuthorId: like.author_id,
            userId,
            likeCount: counts.count,
            version: counts.version,
          },
        });
      }
      for (const repost of reposts) {
        if (repost.author_id === userId) continue;
        const counts = await bumpCount(trx, repost.post_id, 'repost_count', -1);
        await app.emit(trx, null, {
          case: 'postUnreposted',
          value: {
            postId: repost.post_id,
            postAuthorId: repost.author_id,
            userId,
            repostCount: counts.count,
            version: counts.version,
          },
        });
      }
      const media = await eraseMediaOf(app, trx, userId);
      await forgetUser(trx, userId);
      await app.emit(trx, null, {
        case: 'dataErasureCompleted',
        value: { userId, service: KithService.POST },
      });
      app.logger.info({ userId, posts: posts.length, media }, 'author erased');
    },
  };
}

/**
 * What post holds about the user, one JSON document per category: their posts and replies
 * (with every revision), the posts they liked, bookmarked and reposted (ids only: another
 * user's text is not theirs to take) and their media's metadata (no files). Mentions name the users they mention, as the user wrote.
 */
export async function postDataOf(
  db: Kysely<PostDatabase>,
  userId: string,
): Promise<Record<string, unknown>> {
  const { posts, revisions } = await exportPosts(db, userId);
  const marks = await exportMarks(db, userId);
  return {
    posts: posts.map((p) => ({
      post_id: p.id,
      text: p.text,
      content_warning: p.content_warning,
      sensitive: p.sensitive,
      language: p.language,
      audience: AUDIENCE_NAMES[p.audience],
      circle_ids: p.circle_ids,
      reply_to_post_id: p.reply_to_post_id,
      quote_post_id: p.quote_post_id,
      mentions: p.mentions.map((m) => m.username),
      hashtags: p.hashtags,
      created_at: p.created_at.toISOString(),
      edited_at: p.edited_at?.toISOString() ?? null,
      expires_at: p.expires_at?.toISOString() ?? null,
      revisions: revisions
        .filter((r) => r.post_id === p.id)
        .map((r) => ({
          revision: r.revision,
          text: r.text,
          content_warning: r.content_warning,
          created_at: r.created_at.toISOString(),
        })),
    })),
    likes: marks.likes.map((m) => ({ post_id: m.post_id, at: m.created_at.toISOString() })),
    bookmarks: marks.bookmarks.map((m) => ({ post_id: m.post_id, at: m.created_at.toISOString() })),
    reposts: marks.reposts.map((m) => ({ post_id: m.post_id, at: m.created_at.toISOString() })),
    media: await mediaDataOf(db, userId),
  };
}

/** user.export_requested: post's part of the data export. */
export function onExportRequested(app: PostApp, blobs: BlobStorage): ConsumerSpec<PostDatabase> {
  return exportPartConsumer<PostDatabase>({
    durable: 'export-part',
    service: KithService.POST,
    blobs,
    clock: app.clock,
    emit: (trx, payload) => app.emit(trx, null, payload),
    dataOf: postDataOf,
    logger: app.logger,
  });
}
