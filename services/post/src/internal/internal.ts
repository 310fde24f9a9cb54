import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { NotFoundError } from '@kith/errors';
import { PostInternalService } from '@kith/gen/kith/post/v1/internal_pb.js';
import type { GetReportSnapshotRequest } from '@kith/gen/kith/post/v1/internal_pb.js';
import { internalServiceDaemon } from '@kith/runtime';
import type { Daemon } from '@kith/runtime';
import type { PostApp } from '../app.js';
import { attachMedia, detachMedia } from '../media/media.js';
import { mediaOfPosts } from '../media/media-view.js';
import { postForReport, postsInCircle, visiblePosts } from '../posts/post-store.js';

/**
 * GetReportSnapshot: the post as it stands, when the reporter wrote it or its audience admits
 * them. Blocks between the two are ignored (block-then-report is the usual flow).
 */
async function getReportSnapshot(app: PostApp, req: GetReportSnapshotRequest) {
  const now = app.clock();
  const row = await postForReport(app.database.db, req.id, req.reporterId, now);
  if (!row) throw new NotFoundError('post not found');
  // Short-lived links whatever the audience: moderation keeps the media with AttachMedia.
  const media = await mediaOfPosts(app.media, app.database.db, [row], { expiring: true });
  return {
    post: {
      postId: row.id,
      authorId: row.author_id,
      text: row.text,
      contentWarning: row.content_warning,
      sensitive: row.sensitive,
      language: row.language,
      media: media.get(row.id) ?? [],
      audienceKind: row.audience,
      mentionedUserIds: row.mentions.map((m) => m.user_id),
      replyToPostId: row.reply_to_post_id ?? '',
      rootPostId: row.root_post_id,
      quotePostId: row.quote_post_id ?? '',
      createdAt: timestampFromDate(row.created_at),
      editedAt: row.edited_at ? timestampFromDate(row.edited_at) : undefined,
      revision: row.revision,
      postVersion: BigInt(row.version),
      capturedAt: timestampFromDate(now),
    },
  };
}

/**
 * PostInternalService on the bus. AttachMedia and DetachMedia place and release the holds that
 * keep media (avatars, incident notes, report evidence) from the purge of unheld media.
 */
export function postInternalService(app: PostApp): Daemon {
  return internalServiceDaemon(
    'post-internal-service',
    app.ctx.bus,
    PostInternalService,
    {
      authorizeTopics: async (req) => {
        const visible = await visiblePosts(app.database.db, req.userId, req.ids, app.clock());
        return { allowedIds: req.ids.filter((id) => visible.has(id)) };
      },
      getCirclePosts: async (req) => {
        const rows = await postsInCircle(app.database.db, req.circleId, req.postIds, app.clock());
        const byId = new Map(rows.map((r) => [r.id, r]));
        return {
          posts: req.postIds.flatMap((id) => {
            const r = byId.get(id);
            return r
              ? [
                  {
                    postId: r.id,
                    authorId: r.author_id,
                    rootPostId: r.reply_to_post_id ? r.root_post_id : '',
                  },
                ]
              : [];
          }),
        };
      },
      getReportSnapshot: (req) => getReportSnapshot(app, req),
      attachMedia: (req) => attachMedia(app, req),
      detachMedia: async (req) => {
        await detachMedia(app, req);
        return {};
      },
    },
    app.logger,
  );
}
