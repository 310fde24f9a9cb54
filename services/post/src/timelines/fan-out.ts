import { decodeEvent } from '@kith/runtime';
import type { ConsumerSpec } from '@kith/runtime';
import { z } from 'zod';
import type { PostApp } from '../app.js';
import type { PostDatabase } from '../db/schema.js';
import { AUDIENCE } from '../db/schema.js';
import { visiblePost } from '../posts/post-store.js';
import { HOME_CAP, encodeEntry, homeKey } from './home-cache.js';
import { fanOutRecipients, followerCount, repostOf, setWideReach } from './home-store.js';

/** The post service's timeline settings. */
export const timelineEnvSchema = z.object({
  /** Authors with more followers are not fanned out: their posts are merged when read. */
  POST_FANOUT_MAX_FOLLOWERS: z.coerce.number().int().min(0).default(10_000),
});

/** The event types that add a home timeline entry; every other post.* type is skipped. */
const ADDS = ['post.created', 'post.comment_created', 'post.reposted'];
const SKIPS = [
  'post.edited',
  'post.deleted',
  'post.liked',
  'post.unliked',
  'post.mentioned',
  'post.unreposted',
];

/**
 * Fan-out on write: a new post, reply or repost is pushed onto the cached home timeline of its
 * actor, their followers (not those who mute them or stand in a block with them) and, for a
 * circle post, the circle's members, once the event is published. Only lists that exist get
 * it (a list expires after 7 days unread: its owner counts as inactive, and their next read
 * rebuilds it from Postgres). An actor with more followers than the threshold is marked wide
 * reach and not fanned out; readers merge their posts in. Edits, deletions and unreposts need
 * no push: every read checks each entry again.
 */
export function homeFanOut(app: PostApp, maxFollowers: number): ConsumerSpec<PostDatabase> {
  return {
    durable: 'home-fan-out',
    subjects: 'kith.events.post.>',
    ignores: SKIPS,
    async handle(trx, message) {
      const { type, payload } = decodeEvent(message.data);
      if (!ADDS.includes(type)) return;
      let actorId: string;
      let postId: string;
      if (payload.case === 'postCreated' || payload.case === 'postCommentCreated') {
        actorId = payload.value.authorId;
        postId = payload.value.postId;
      } else if (payload.case === 'postReposted') {
        actorId = payload.value.userId;
        postId = payload.value.postId;
      } else {
        return;
      }
      const now = app.clock();
      const post = await visiblePost(trx, actorId, postId, now);
      if (!post) return;
      const wide = (await followerCount(trx, actorId)) > maxFollowers;
      await setWideReach(trx, actorId, wide);
      let entry: string;
      if (payload.case === 'postReposted') {
        const repost = await repostOf(trx, postId, actorId);
        if (!repost) return;
        entry = encodeEntry({
          post_id: postId,
          at: repost.created_at,
          key: repost.id,
          reposted_by: actorId,
        });
      } else {
        entry = encodeEntry({
          post_id: post.id,
          at: post.created_at,
          key: post.id,
          reposted_by: null,
        });
      }
      const circles =
        payload.case !== 'postReposted' && post.audience === AUDIENCE.CIRCLES
          ? post.circle_ids
          : [];
      const recipients = wide
        ? [actorId, ...(circles.length ? await fanOutRecipients(trx, actorId, circles, now) : [])]
        : await fanOutRecipients(trx, actorId, circles, now);
      trx.onCommit(() =>
        app.ctx.lists.pushEach([...new Set(recipients)].map(homeKey), [entry], { cap: HOME_CAP }),
      );
    },
  };
}
