import { ResourceExhaustedError } from '@kith/errors';
import type { ServiceContext } from '@kith/runtime';

/** Per-user write quotas; each throws ResourceExhausted with the wait in RetryInfo. */
export interface WriteQuotas {
  /** Posts and replies: 300 per 3 hours (Mastodon's default). */
  posts(userId: string): Promise<void>;
  /** Likes, reposts and bookmarks together: 1,000 per hour. */
  engagement(userId: string): Promise<void>;
  /** Media uploads (CreateUploadUrl): 120 per hour. */
  uploads(userId: string): Promise<void>;
}

export function writeQuotas(ctx: Pick<ServiceContext, 'rateLimiter'>): WriteQuotas {
  const posts = ctx.rateLimiter({
    keyPrefix: 'post:create:user',
    points: 300,
    durationSec: 3 * 3600,
  });
  const engagement = ctx.rateLimiter({
    keyPrefix: 'post:engage:user',
    points: 1000,
    durationSec: 3600,
  });
  const uploads = ctx.rateLimiter({
    keyPrefix: 'post:upload:user',
    points: 120,
    durationSec: 3600,
  });
  const consume = async (limiter: typeof posts, userId: string, what: string) => {
    const result = await limiter.consume(userId);
    if (!result.allowed) {
      throw new ResourceExhaustedError({
        retryAfterMs: result.retryAfterMs,
        message: `too many ${what}; try again later`,
      });
    }
  };
  return {
    posts: (userId) => consume(posts, userId, 'posts'),
    engagement: (userId) => consume(engagement, userId, 'likes, reposts and bookmarks'),
    uploads: (userId) => consume(uploads, userId, 'uploads'),
  };
}
