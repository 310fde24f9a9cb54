import { FailedPreconditionError } from '@kith/errors';
import type { Audience } from '@kith/gen/kith/post/v1/types_pb.js';
import type { Kysely } from 'kysely';
import type { PostDatabase } from '../db/schema.js';
import { AUDIENCE } from '../db/schema.js';
import type { PostRecord } from './post-store.js';
import { viewerCircles } from './view-store.js';

type Db = Kysely<PostDatabase>;

/** A requested audience as stored: its kind and circles. */
export interface StoredAudience {
  audience: number;
  circle_ids: string[];
}

export function storedAudience(audience: Audience): StoredAudience {
  switch (audience.kind.case) {
    case 'public':
      return { audience: AUDIENCE.PUBLIC, circle_ids: [] };
    case 'followers':
      return { audience: AUDIENCE.FOLLOWERS, circle_ids: [] };
    case 'circles':
      return { audience: AUDIENCE.CIRCLES, circle_ids: [...audience.kind.value.circleIds] };
    default:
      return { audience: AUDIENCE.MENTIONED_ONLY, circle_ids: [] };
  }
}

/**
 * The author must be a member of every audience circle (and none deleted); otherwise
 * FailedPrecondition, the same answer for a circle that does not exist.
 */
export async function requireMemberOfAll(
  db: Db,
  userId: string,
  circleIds: readonly string[],
): Promise<void> {
  if (circleIds.length === 0) return;
  const live = await viewerCircles(db, userId, [...circleIds]);
  if (live.size !== new Set(circleIds).size) {
    throw new FailedPreconditionError('the author must be a member of every audience circle');
  }
}

/**
 * Whether `post` may be reposted or quoted by `userId`: a public post, or a followers-only post
 * whose audience is the user's own followers. Circle and mentioned-only posts never leave their
 * audience.
 */
export function mayAmplify(
  post: Pick<PostRecord, 'audience' | 'audience_owner_id'>,
  userId: string,
): boolean {
  return (
    post.audience === AUDIENCE.PUBLIC ||
    (post.audience === AUDIENCE.FOLLOWERS && post.audience_owner_id === userId)
  );
}

/** Refuses a repost or quote `mayAmplify` does not allow. */
export function requireAmplifiable(
  post: Pick<PostRecord, 'audience' | 'audience_owner_id'>,
  userId: string,
  what: 'repost' | 'quote',
): void {
  if (!mayAmplify(post, userId)) {
    throw new FailedPreconditionError(
      what === 'repost'
        ? 'only public posts, and your own followers-only posts, can be reposted'
        : 'only public posts, and your own followers-only posts, can be quoted',
    );
  }
}

/** Order of narrowness for the kinds that narrow by kind: PUBLIC → FOLLOWERS → MENTIONED_ONLY. */
const RANK: Record<number, number> = {
  [AUDIENCE.PUBLIC]: 0,
  [AUDIENCE.FOLLOWERS]: 1,
  [AUDIENCE.MENTIONED_ONLY]: 2,
};

/**
 * Whether `next` admits nobody `current` does not: the same audience, a narrower kind, or a
 * subset of the same circles.
 */
export function narrowsOrKeeps(current: StoredAudience, next: StoredAudience): boolean {
  if (current.audience === AUDIENCE.CIRCLES || next.audience === AUDIENCE.CIRCLES) {
    return (
      current.audience === AUDIENCE.CIRCLES &&
      next.audience === AUDIENCE.CIRCLES &&
      next.circle_ids.every((c) => current.circle_ids.includes(c))
    );
  }
  return RANK[next.audience]! >= RANK[current.audience]!;
}
