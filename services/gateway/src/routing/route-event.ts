import type { MessageInitShape } from '@bufbuild/protobuf';
import type { Envelope } from '@kith/gen/kith/events/v1/events_pb.js';
import {
  AccountChange,
  CircleChange,
  CircleMemberChange,
  RelationshipChange,
  ResponderChange,
} from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { CircleMemberEventSchema } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import { frame } from './frame.js';
import type { Payload, RoutedFrame } from './frame.js';
import { notificationEvent } from './notifications.js';
import { postCommentCreated, postCounts, postCreated, postDeleted, postEdited } from './posts.js';
import {
  alertRaised,
  checkInMissed,
  checkInReminded,
  duressCancelled,
  escalated,
  incidentChange,
  resolved,
  responderChanged,
} from './support.js';
import { circleTopic, ownTopic } from './topics.js';

export type { RoutedFrame } from './frame.js';

/** What the gateway does with one bus event: frames to store, and store keys to forget. */
export interface Routing {
  frames: RoutedFrame[];
  /** Store keys whose frames must go (the user's data was erased). */
  purge: string[];
}

const NOTHING: Routing = { frames: [], purge: [] };

function frames(...routed: RoutedFrame[]): Routing {
  return { frames: routed, purge: [] };
}

/** The user who caused the event, when a user did. */
function actingUser(envelope: Envelope): string | undefined {
  return envelope.actor?.kind.case === 'userId' ? envelope.actor.kind.value : undefined;
}

/**
 * The realtime table of realtime.proto: which topics a bus event reaches and the client-facing
 * message it becomes there. Only fields a realtime message declares are copied, so nothing else
 * of the bus event can reach a socket. An event missing here reaches no socket (default deny).
 */
export function routeEvent(envelope: Envelope): Routing {
  const p = envelope.payload;
  switch (p.case) {
    case 'authEmailVerified':
      return frames(account(envelope, p.value.userId, AccountChange.EMAIL_VERIFIED, 0n));
    case 'userProfileUpdated':
      return frames(
        account(envelope, p.value.userId, AccountChange.PROFILE_UPDATED, p.value.version),
      );
    case 'userSettingsUpdated':
      return frames(
        account(envelope, p.value.userId, AccountChange.SETTINGS_UPDATED, p.value.version),
      );
    case 'userFollowed': {
      const { followerId, followeeId, version } = p.value;
      // The actor's own devices only: the follower, or the followee who accepted a request.
      return p.value.viaFollowRequest
        ? frames(
            relationship(
              envelope,
              followeeId,
              followerId,
              RelationshipChange.FOLLOW_REQUEST_ACCEPTED,
              version,
            ),
          )
        : frames(
            relationship(envelope, followerId, followeeId, RelationshipChange.FOLLOWED, version),
          );
    }
    case 'userUnfollowed': {
      const { followerId, followeeId, version } = p.value;
      const actor = actingUser(envelope);
      if (actor === followerId) {
        return frames(
          relationship(envelope, followerId, followeeId, RelationshipChange.UNFOLLOWED, version),
        );
      }
      if (actor === followeeId) {
        return frames(
          relationship(
            envelope,
            followeeId,
            followerId,
            RelationshipChange.FOLLOWER_REMOVED,
            version,
          ),
        );
      }
      return NOTHING;
    }
    case 'userFollowRequested':
      return frames(
        relationship(
          envelope,
          p.value.requesterId,
          p.value.targetId,
          RelationshipChange.FOLLOW_REQUESTED,
          p.value.version,
        ),
      );
    case 'userBlocked':
      return frames(
        relationship(
          envelope,
          p.value.blockerId,
          p.value.blockedId,
          RelationshipChange.BLOCKED,
          p.value.version,
        ),
      );
    case 'userUnblocked':
      return frames(
        relationship(
          envelope,
          p.value.blockerId,
          p.value.blockedId,
          RelationshipChange.UNBLOCKED,
          p.value.version,
        ),
      );
    case 'userMuted':
      return frames(
        relationship(
          envelope,
          p.value.muterId,
          p.value.mutedId,
          RelationshipChange.MUTED,
          p.value.version,
        ),
      );
    case 'userUnmuted':
      return frames(
        relationship(
          envelope,
          p.value.muterId,
          p.value.mutedId,
          RelationshipChange.UNMUTED,
          p.value.version,
        ),
      );
    case 'userNotificationCreated': {
      const { event, ackRequired } = notificationEvent(p.value);
      const topic = ownTopic('notifications', p.value.recipientId);
      return frames(frame(envelope, topic, { case: 'notification', value: event }, ackRequired));
    }
    case 'userErased':
      return {
        frames: [],
        purge: [
          ownTopic('user', p.value.userId).key,
          ownTopic('notifications', p.value.userId).key,
        ],
      };
    case 'circleUpdated':
      return frames(circle(envelope, p.value.circleId, CircleChange.UPDATED, p.value.version));
    case 'circleDeleted':
      return frames(circle(envelope, p.value.circleId, CircleChange.DELETED, p.value.version));
    case 'circleRestored':
      return frames(circle(envelope, p.value.circleId, CircleChange.RESTORED, p.value.version));
    case 'circleMemberJoined':
      return member(envelope, p.value.circleId, p.value.userId, {
        change: CircleMemberChange.JOINED,
        role: p.value.role,
        version: p.value.version,
      });
    case 'circleMemberLeft':
      return member(envelope, p.value.circleId, p.value.userId, {
        change: CircleMemberChange.LEFT,
        version: p.value.version,
      });
    case 'circleMemberRemoved':
      // Not who removed them, whether it is a ban, the reason or the ban's end.
      return member(envelope, p.value.circleId, p.value.userId, {
        change: CircleMemberChange.REMOVED,
        version: p.value.version,
      });
    case 'circleRoleChanged':
      return member(envelope, p.value.circleId, p.value.userId, {
        change: CircleMemberChange.ROLE_CHANGED,
        role: p.value.newRole,
        version: p.value.version,
      });
    case 'circleSafetyRoleChanged':
      // Never the member's quiet hours.
      return member(envelope, p.value.circleId, p.value.userId, {
        change: CircleMemberChange.SAFETY_CHANGED,
        responder: p.value.safety?.responder ?? false,
        primaryContact: p.value.safety?.primaryContact ?? false,
        version: p.value.version,
      });
    case 'postCreated':
      return frames(...postCreated(envelope, p.value));
    case 'postEdited':
      return frames(...postEdited(envelope, p.value));
    case 'postDeleted':
      return frames(...postDeleted(envelope, p.value));
    case 'postCommentCreated':
      return frames(...postCommentCreated(envelope, p.value));
    case 'postLiked':
    case 'postUnliked':
      // Never who liked.
      return frames(
        postCounts(envelope, p.value.postId, { likeCount: p.value.likeCount }, p.value.version),
      );
    case 'postReposted':
    case 'postUnreposted':
      // Never who reposted.
      return frames(
        postCounts(envelope, p.value.postId, { repostCount: p.value.repostCount }, p.value.version),
      );
    case 'supportAlertRaised':
      return frames(...alertRaised(envelope, p.value));
    case 'supportAcknowledged':
      return frames(...responderChanged(envelope, p.value, ResponderChange.ACKNOWLEDGED));
    case 'supportClaimed':
      return frames(...responderChanged(envelope, p.value, ResponderChange.CLAIMED));
    case 'supportResponded':
      // Never the responder's note (the notification's preview).
      return frames(
        ...incidentChange(envelope, p.value, {
          case: 'responder',
          value: {
            responderUserId: p.value.responderId,
            change: ResponderChange.RESPONDED,
            response: p.value.response,
            eta: p.value.eta,
          },
        }),
      );
    case 'supportEscalated':
      return frames(...escalated(envelope, p.value));
    case 'supportResolved':
      return frames(...resolved(envelope, p.value));
    case 'supportDuressCancelled':
      return frames(...duressCancelled(envelope, p.value));
    case 'supportLocationShared':
      // The only way a location leaves support; never the device context.
      return frames(
        ...incidentChange(envelope, p.value, {
          case: 'locationUpdated',
          value: { location: p.value.location, expiresAt: p.value.expiresAt },
        }),
      );
    case 'supportLocationStopped':
      return frames(...incidentChange(envelope, p.value, { case: 'locationStopped', value: {} }));
    case 'supportNoteAdded':
      // The author only; the text and media come from GetIncidentTimeline.
      return frames(
        ...incidentChange(envelope, p.value, {
          case: 'noteAdded',
          value: { authorUserId: p.value.authorId },
        }),
      );
    case 'supportCheckInReminded':
      return frames(checkInReminded(envelope, p.value));
    case 'supportCheckInMissed':
      return frames(checkInMissed(envelope, p.value));
    default:
      // post.mentioned, support.alert_delivered and support.check_in_requested among them:
      // a notification or nothing.
      return NOTHING;
  }
}

function account(envelope: Envelope, userId: string, change: AccountChange, version: bigint) {
  return frame(envelope, ownTopic('user', userId), {
    case: 'account',
    value: { change, version },
  });
}

/** A relationship change, to the "user" topic of the one who made it only. */
function relationship(
  envelope: Envelope,
  to: string,
  other: string,
  change: RelationshipChange,
  version: bigint,
) {
  return frame(envelope, ownTopic('user', to), {
    case: 'relationship',
    value: { userId: other, change, version },
  });
}

function circle(envelope: Envelope, circleId: string, change: CircleChange, version: bigint) {
  return frame(envelope, circleTopic(circleId), {
    case: 'circle',
    value: { circleId, change, version },
  });
}

type MemberFields = Omit<
  MessageInitShape<typeof CircleMemberEventSchema>,
  '$typeName' | 'circleId' | 'userId'
>;

/** A membership change: to the circle's topic and to the member's own "user" topic. */
function member(envelope: Envelope, circleId: string, userId: string, fields: MemberFields) {
  const payload: Payload = { case: 'circleMember', value: { circleId, userId, ...fields } };
  return frames(
    frame(envelope, circleTopic(circleId), payload),
    frame(envelope, ownTopic('user', userId), payload),
  );
}
