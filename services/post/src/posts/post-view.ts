import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { AudienceSchema, PostSchema } from '@kith/gen/kith/post/v1/types_pb.js';
import type { Kysely } from 'kysely';
import type { PostDatabase } from '../db/schema.js';
import { AUDIENCE } from '../db/schema.js';
import { mediaOfPosts } from '../media/media-view.js';
import type { MediaRuntime } from '../media/runtime.js';
import type { PostRecord } from './post-store.js';
import { visiblePosts } from './post-store.js';
import type { Viewer } from './visibility-store.js';
import {
  accountLimited,
  activeHides,
  summariesOf,
  viewerCircles,
  viewerStates,
} from './view-store.js';
import { MODERATION } from './visibility-store.js';

type Db = Kysely<PostDatabase>;
export type PostMessage = MessageInitShape<typeof PostSchema>;

/** The audience message of a stored post, its circles cut to `shownCircles`. */
export function audienceMessage(
  audience: number,
  shownCircles: readonly string[],
): MessageInitShape<typeof AudienceSchema> {
  switch (audience) {
    case AUDIENCE.PUBLIC:
      return { kind: { case: 'public', value: {} } };
    case AUDIENCE.FOLLOWERS:
      return { kind: { case: 'followers', value: {} } };
    case AUDIENCE.CIRCLES:
      return { kind: { case: 'circles', value: { circleIds: [...shownCircles] } } };
    default:
      return { kind: { case: 'mentionedOnly', value: {} } };
  }
}

/**
 * The state the author sees: the post's own, or LIMITED when the account is limited and the
 * post's own is no more restrictive (HIDDEN, UNDER_REVIEW, LIMITED, MARKED_SENSITIVE).
 */
function authorState(own: number, limited: boolean): number {
  const stricter = own === MODERATION.HIDDEN || own === MODERATION.UNDER_REVIEW;
  return limited && !stricter ? MODERATION.LIMITED : own;
}

/**
 * Post messages for rows the viewer may see (already filtered by `visibleTo`), in their order:
 * author summaries, the viewer's own state, the quoted post one level deep when the viewer
 * may see it, circles cut to the viewer's own (the author sees all), and moderation and
 * circle hides only for those the contract shows them to, and the media of every post (links
 * that never expire on public posts, short-lived ones otherwise). Seven queries whatever the
 * count.
 */
export async function postMessages(
  db: Db,
  viewer: Viewer,
  rows: readonly PostRecord[],
  now: Date,
  media: MediaRuntime,
): Promise<PostMessage[]> {
  if (rows.length === 0) return [];
  const quoteIds = rows.map((r) => r.quote_post_id).filter((id): id is string => id !== null);
  const quoted = await visiblePosts(db, viewer, quoteIds, now);
  const all = [...rows, ...quoted.values()];
  const ids = all.map((r) => r.id);
  const circleIds = [...new Set(all.flatMap((r) => r.circle_ids))];
  const ownPosts = all.some((r) => r.author_id === viewer);
  const [authors, states, circles, hides, limited, mediaByPost] = await Promise.all([
    summariesOf(
      db,
      all.map((r) => r.author_id),
    ),
    viewer ? viewerStates(db, viewer, ids) : undefined,
    viewer ? viewerCircles(db, viewer, circleIds) : new Map<string, number>(),
    viewer ? activeHides(db, ids) : [],
    ownPosts && viewer ? accountLimited(db, viewer) : false,
    mediaOfPosts(media, db, all),
  ]);

  const one = (row: PostRecord, withQuote: boolean): PostMessage => {
    const isAuthor = viewer === row.author_id;
    const shownCircles = isAuthor ? row.circle_ids : row.circle_ids.filter((c) => circles.has(c));
    const shownHides = hides.filter(
      (h) =>
        h.post_id === row.id &&
        (isAuthor || circles.get(h.circle_id) === 1 || circles.get(h.circle_id) === 2),
    );
    const quote = withQuote && row.quote_post_id ? quoted.get(row.quote_post_id) : undefined;
    return {
      postId: row.id,
      author: authors.get(row.author_id),
      text: row.text,
      contentWarning: row.content_warning,
      sensitive: row.sensitive,
      language: row.language,
      media: mediaByPost.get(row.id) ?? [],
      audience: audienceMessage(row.audience, shownCircles),
      replyToPostId: row.reply_to_post_id ?? '',
      rootPostId: row.root_post_id,
      quotePostId: row.quote_post_id ?? '',
      quotedPost: quote ? one(quote, false) : undefined,
      mentions: row.mentions.map((m) => ({ userId: m.user_id, username: m.username })),
      hashtags: row.hashtags,
      replyCount: row.reply_count,
      likeCount: row.like_count,
      repostCount: row.repost_count,
      quoteCount: row.quote_count,
      viewer: states
        ? {
            liked: states.liked.has(row.id),
            bookmarked: states.bookmarked.has(row.id),
            reposted: states.reposted.has(row.id),
          }
        : undefined,
      createdAt: timestampFromDate(row.created_at),
      editedAt: row.edited_at ? timestampFromDate(row.edited_at) : undefined,
      revision: row.revision,
      expiresAt: row.expires_at ? timestampFromDate(row.expires_at) : undefined,
      moderationState: isAuthor ? authorState(row.moderation_state, limited) : 0,
      circleHides: shownHides.map((h) => ({
        circleId: h.circle_id,
        reason: h.reason,
        note: h.note,
        hiddenAt: timestampFromDate(h.hidden_at),
      })),
      version: BigInt(row.version),
    };
  };
  return rows.map((r) => one(r, true));
}
