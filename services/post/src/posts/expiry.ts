import { PostDeletionReason } from '@kith/gen/kith/events/v1/post_events_pb.js';
import type { PostApp } from '../app.js';
import { expiredPosts } from './post-store.js';
import { softDelete } from './posts.js';

const BATCH = 200;

/**
 * Deletes the posts past their expires_at (reason EXPIRED, post.deleted each), a batch at a
 * time, each in its own transaction; how many. Rows another replica took are skipped.
 */
export async function purgeExpiredPosts(app: PostApp): Promise<number> {
  const now = app.clock();
  let purged = 0;
  for (;;) {
    const done = await app.database.transaction(async (trx) => {
      const due = await expiredPosts(trx, now, BATCH);
      for (const post of due) {
        await softDelete(app, trx, post, PostDeletionReason.EXPIRED, null, now);
      }
      return due.length;
    });
    purged += done;
    if (done < BATCH) return purged;
  }
}
