import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { Kysely } from 'kysely';
import type { PostApp } from '../app.js';
import type { PostDatabase } from '../db/schema.js';
import { eventMedia } from '../media/media.js';
import type { PostRecord } from './post-store.js';

type Db = Kysely<PostDatabase>;

/** A post's audience as the events carry it (kinds share their numbers with AUDIENCE). */
export const eventAudience = (row: Pick<PostRecord, 'audience' | 'circle_ids'>) => ({
  kind: row.audience,
  circleIds: row.circle_ids,
});

/** What a new post or reply carries in its event (post.created or post.comment_created). */
async function createdFields(trx: Db, row: PostRecord) {
  return {
    postId: row.id,
    authorId: row.author_id,
    audience: eventAudience(row),
    text: row.text,
    language: row.language,
    mentionedUserIds: row.mentions.map((m) => m.user_id),
    hashtags: row.hashtags,
    quotePostId: row.quote_post_id ?? '',
    expiresAt: row.expires_at ? timestampFromDate(row.expires_at) : undefined,
    media: await eventMedia(trx, row.media_ids),
    contentWarning: row.content_warning,
    sensitive: row.sensitive,
    version: BigInt(row.version),
  };
}

/** The quoted post's new count and version, for the events of a quote. */
export interface QuoteCounts {
  authorId: string;
  count: number;
  version: bigint;
}

/**
 * post.created for a post, or post.comment_created for a reply (with the parent's new reply
 * count); then post.mentioned for each user the post may notify (`notify`).
 */
export async function emitCreated(
  app: PostApp,
  trx: Db,
  row: PostRecord,
  related: {
    parent?: { authorId: string; count: number; version: bigint };
    quote?: QuoteCounts;
    notify: readonly string[];
  },
): Promise<void> {
  const { parent, quote } = related;
  const quoteFields = {
    quotedPostAuthorId: quote?.authorId ?? '',
    quotedPostQuoteCount: quote?.count ?? 0,
    quotedPostVersion: quote?.version ?? 0n,
  };
  if (parent && row.reply_to_post_id) {
    await app.emit(trx, row.author_id, {
      case: 'postCommentCreated',
      value: {
        ...(await createdFields(trx, row)),
        ...quoteFields,
        parentPostId: row.reply_to_post_id,
        parentAuthorId: parent.authorId,
        rootPostId: row.root_post_id,
        parentReplyCount: parent.count,
        parentVersion: parent.version,
      },
    });
  } else {
    await app.emit(trx, row.author_id, {
      case: 'postCreated',
      value: { ...(await createdFields(trx, row)), ...quoteFields },
    });
  }
  await emitMentioned(app, trx, row, related.notify);
}

/** post.mentioned for each of `userIds`. */
export async function emitMentioned(
  app: PostApp,
  trx: Db,
  row: PostRecord,
  userIds: readonly string[],
): Promise<void> {
  for (const userId of userIds) {
    await app.emit(trx, row.author_id, {
      case: 'postMentioned',
      value: { postId: row.id, authorId: row.author_id, mentionedUserId: userId },
    });
  }
}
