import type { Envelope } from '@kith/gen/kith/events/v1/events_pb.js';
import type { PostAudience } from '@kith/gen/kith/events/v1/post_events_pb.js';
import { circlesOf } from './posts.js';
import { postTopic } from './topics.js';
import type { TopicKind } from './topics.js';

/** Which held topics to authorise again, on every socket of this process. */
export type Recheck =
  /** Every holder of the topic (by replay-store key). */
  | { of: 'topic'; key: string }
  /** Every topic of this kind the user holds. */
  | { of: 'user'; userId: string; kind: TopicKind }
  /** Every topic of this kind anyone holds (the feed of changes may have missed some). */
  | { of: 'kind'; kind: TopicKind };

export interface AccessChange {
  rechecks: Recheck[];
  /**
   * The owning service learns of this change from its own projection of another service's
   * event, so its answer may lag the event: ask again a few times over the next seconds.
   */
  lagging: boolean;
}

/**
 * The subjects of the events after which a "post:<id>" subscription may no longer be allowed
 * while no frame on the topic says so (post.deleted does: its DELETED frame ends them).
 */
export const ACCESS_EVENT_SUBJECTS = [
  'kith.events.post.edited',
  'kith.events.user.blocked',
  'kith.events.user.unfollowed',
  'kith.events.circle.member_left',
  'kith.events.circle.member_removed',
  'kith.events.circle.post_hidden',
  'kith.events.moderation.content_actioned',
] as const;

/** Whether `next` leaves out someone `previous` admitted (a narrower kind or fewer circles). */
function narrowed(previous: PostAudience | undefined, next: PostAudience | undefined): boolean {
  if (!previous || !next) return false;
  if (previous.kind !== next.kind) return true;
  const still = new Set(circlesOf(next));
  return circlesOf(previous).some((c) => !still.has(c));
}

const posts = (...userIds: string[]): Recheck[] =>
  userIds.map((userId) => ({ of: 'user', userId, kind: 'post' }));

/**
 * What an event may have ended (realtime.proto: access is checked again "when it may have
 * ended"): a post's audience narrowed (post's own commit, so its answer is current), or a
 * block, an unfollow, a circle membership ended, a post hidden in a circle or a post actioned
 * by moderation (hidden, under review; post applies those from its projections, so its answer
 * may lag). Undefined for every other event.
 */
export function accessChange(envelope: Envelope): AccessChange | undefined {
  const p = envelope.payload;
  switch (p.case) {
    case 'postEdited':
      // post sets previous_audience on every edit; only a narrower one can end access.
      if (!narrowed(p.value.previousAudience, p.value.audience)) return undefined;
      return { rechecks: [{ of: 'topic', key: postTopic(p.value.postId).key }], lagging: false };
    case 'userBlocked':
      // Either side of a block stops seeing the other's posts.
      return { rechecks: posts(p.value.blockerId, p.value.blockedId), lagging: true };
    case 'userUnfollowed':
      return { rechecks: posts(p.value.followerId), lagging: true };
    case 'circleMemberLeft':
    case 'circleMemberRemoved':
      return { rechecks: posts(p.value.userId), lagging: true };
    case 'circlePostHidden':
      return { rechecks: [{ of: 'topic', key: postTopic(p.value.postId).key }], lagging: true };
    case 'moderationContentActioned': {
      const subject = p.value.subject?.kind;
      if (subject?.case !== 'postId') return undefined;
      return { rechecks: [{ of: 'topic', key: postTopic(subject.value).key }], lagging: true };
    }
    default:
      return undefined;
  }
}
