import { create, fromBinary } from '@bufbuild/protobuf';
import { PostSchema } from '@kith/gen/kith/post/v1/types_pb.js';
import type { Post } from '@kith/gen/kith/post/v1/types_pb.js';
import type { Trx } from '@kith/db';
import type { PostApp } from '../app.js';
import type { PostDatabase } from '../db/schema.js';
import type { PostMessage } from './post-view.js';
import { encodeBinary } from '@kith/wire';

/**
 * GetPost for signed-out readers (ADR 0018): the answer is the same for all of them, so it is
 * cached per post, in Redis when distributed and in process memory when embedded. Every
 * change to a post's row (edit, deletion, restore, moderation state, each count) drops its
 * entry once committed (`notePostChanged`, in the store functions that change the row). What
 * lies outside the row, the author's profile and account-level moderation (a suspension, a
 * limit) and media alt text, shows once the entry expires: at most TTL_MS late. Only posts
 * found are cached; a miss (NotFound) is always read fresh.
 */
export const ANONYMOUS_POST_TTL_MS = 5_000;

/** The `Database.onCommitted` topic of a commit that changed posts' rows; details: post ids. */
export const POST_CHANGED = 'post.post-changed';

const keyOf = (postId: string) => `post:anonymous:v1:${postId}`;

/** Notes, for after the commit, that the transaction changed the post's row. */
export function notePostChanged(
  trx: Pick<Trx<PostDatabase>, 'notifyOnCommit'>,
  postId: string,
): void {
  trx.notifyOnCommit(POST_CHANGED, postId);
}

/** Drops the cached answers of every post a committed transaction changed; the unsubscribe. */
export function watchPostChanges(app: PostApp): () => void {
  return app.database.onCommitted(POST_CHANGED, async (postIds) => {
    await Promise.all(
      postIds.map((id) =>
        app.ctx.cache.del(keyOf(id)).catch((err: unknown) => {
          app.logger.warn({ err }, 'anonymous post cache drop failed');
        }),
      ),
    );
  });
}

/**
 * The signed-out answer for `postId`: from the cache, or from `load` (written back until the
 * TTL or the post's own expiry, whichever is first). A failing cache reads as a miss.
 */
export async function anonymousPost(
  app: PostApp,
  postId: string,
  now: Date,
  load: () => Promise<{ post: PostMessage; expiresAt: Date | null } | undefined>,
): Promise<PostMessage | Post | undefined> {
  const key = keyOf(postId);
  const cached = await app.ctx.cache.get(key).catch((err: unknown) => {
    app.logger.warn({ err }, 'anonymous post cache read failed');
    return null;
  });
  if (cached) return fromBinary(PostSchema, Buffer.from(cached, 'base64'));
  const found = await load();
  if (!found) return undefined;
  const ttlMs = Math.min(
    ANONYMOUS_POST_TTL_MS,
    found.expiresAt ? found.expiresAt.getTime() - now.getTime() : ANONYMOUS_POST_TTL_MS,
  );
  if (ttlMs >= 1) {
    const value = Buffer.from(encodeBinary(PostSchema, create(PostSchema, found.post))).toString(
      'base64',
    );
    await app.ctx.cache.set(key, value, { ttlMs: Math.floor(ttlMs) }).catch((err: unknown) => {
      app.logger.warn({ err }, 'anonymous post cache write failed');
    });
  }
  return found.post;
}
