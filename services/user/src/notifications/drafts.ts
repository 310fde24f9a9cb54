import { CircleRole } from '@kith/gen/kith/circle/v1/types_pb.js';
import type { Envelope } from '@kith/gen/kith/events/v1/events_pb.js';
import { AuthMfaChange } from '@kith/gen/kith/events/v1/auth_events_pb.js';
import { IncidentKind } from '@kith/gen/kith/support/v1/types_pb.js';
import { NotificationType } from '@kith/gen/kith/user/v1/notification_pb.js';
import type { NotificationDraft } from './record.js';

type Payload = Envelope['payload'];

/**
 * The notifications an event means, per the mapping table of notification.proto, before any
 * recipient's rules. Pure: support.escalated (whose incident kind the event does not carry) is
 * resolved by the consumer, which passes the alert type the incident raised.
 */
export function draftsFor(
  payload: Payload,
  escalationType?: NotificationType,
): NotificationDraft[] {
  switch (payload.case) {
    // user.*
    case 'userFollowed': {
      const e = payload.value;
      return e.viaFollowRequest
        ? [
            {
              recipientId: e.followerId,
              type: NotificationType.FOLLOW_REQUEST_ACCEPTED,
              actorId: e.followeeId,
              subject: { kind: 'userId', id: e.followeeId },
            },
          ]
        : [
            {
              // The subject is who was followed, so a day's new followers form one group.
              recipientId: e.followeeId,
              type: NotificationType.FOLLOW,
              actorId: e.followerId,
              subject: { kind: 'userId', id: e.followeeId },
            },
          ];
    }
    case 'userFollowRequested': {
      const e = payload.value;
      return [
        {
          recipientId: e.targetId,
          type: NotificationType.FOLLOW_REQUEST,
          actorId: e.requesterId,
          subject: { kind: 'userId', id: e.requesterId },
        },
      ];
    }

    // post.*
    case 'postMentioned': {
      const e = payload.value;
      return [
        {
          recipientId: e.mentionedUserId,
          type: NotificationType.MENTION,
          actorId: e.authorId,
          subject: { kind: 'postId', id: e.postId },
        },
      ];
    }
    case 'postCreated': {
      const e = payload.value;
      if (!e.quotedPostAuthorId) return [];
      return [
        {
          recipientId: e.quotedPostAuthorId,
          type: NotificationType.QUOTE,
          actorId: e.authorId,
          subject: { kind: 'postId', id: e.postId },
          preview: e.text,
        },
      ];
    }
    case 'postCommentCreated': {
      const e = payload.value;
      const drafts: NotificationDraft[] = [
        {
          recipientId: e.parentAuthorId,
          type: NotificationType.REPLY,
          actorId: e.authorId,
          subject: { kind: 'postId', id: e.postId },
          preview: e.text,
        },
      ];
      if (e.quotedPostAuthorId) {
        drafts.push({
          recipientId: e.quotedPostAuthorId,
          type: NotificationType.QUOTE,
          actorId: e.authorId,
          subject: { kind: 'postId', id: e.postId },
          preview: e.text,
        });
      }
      return drafts;
    }
    case 'postLiked':
    case 'postReposted': {
      const e = payload.value;
      return [
        {
          recipientId: e.postAuthorId,
          type: payload.case === 'postLiked' ? NotificationType.LIKE : NotificationType.REPOST,
          actorId: e.userId,
          subject: { kind: 'postId', id: e.postId },
        },
      ];
    }

    // circle.*
    case 'circleInviteCreated': {
      const e = payload.value;
      return [
        {
          recipientId: e.inviteeUserId,
          type: NotificationType.CIRCLE_INVITE,
          actorId: e.inviterUserId,
          subject: { kind: 'inviteId', id: e.inviteId, withinCircleId: e.circleId },
        },
      ];
    }
    case 'circleJoinRequested': {
      const e = payload.value;
      return e.recipientUserIds.map((recipientId) => ({
        recipientId,
        type: NotificationType.CIRCLE_JOIN_REQUEST,
        actorId: e.requesterUserId,
        subject: { kind: 'joinRequestId', id: e.joinRequestId, withinCircleId: e.circleId },
      }));
    }
    case 'circleMemberJoined': {
      const e = payload.value;
      if (!e.approvedByUserId) return [];
      // No actor: the approver is a circle admin, and admins are never shown as actors.
      return [
        {
          recipientId: e.userId,
          type: NotificationType.CIRCLE_JOIN_APPROVED,
          subject: { kind: 'circleId', id: e.circleId },
        },
      ];
    }
    case 'circleRoleChanged': {
      const e = payload.value;
      return [
        {
          recipientId: e.userId,
          type: NotificationType.CIRCLE_ROLE_CHANGED,
          subject: { kind: 'circleId', id: e.circleId },
          preview: `Your role is now ${roleName(e.newRole)}`,
        },
      ];
    }
    case 'circleMemberRemoved': {
      const e = payload.value;
      // The reason, never who removed them.
      return [
        {
          recipientId: e.userId,
          type: NotificationType.CIRCLE_REMOVED,
          subject: { kind: 'circleId', id: e.circleId },
          preview: e.reason,
        },
      ];
    }
    case 'circlePostHidden': {
      const e = payload.value;
      return [
        {
          recipientId: e.authorId,
          type: NotificationType.CIRCLE_POST_HIDDEN,
          subject: { kind: 'postId', id: e.postId, withinCircleId: e.circleId },
          preview: e.note,
        },
      ];
    }

    // support.* — nothing from an event marked `silent` reaches the incident owner.
    case 'supportAlertRaised': {
      const e = payload.value;
      const type = alertType(e.kind);
      return without(e.notifiedUserIds, e.ownerId).map((recipientId) => ({
        recipientId,
        type,
        actorId: e.ownerId,
        subject: {
          kind: 'incidentId',
          id: e.incidentId,
          withinCircleId:
            type === NotificationType.HELP_REQUEST && e.circleIds.length === 1
              ? e.circleIds[0]
              : undefined,
        },
        preview: e.message,
        circleIds: e.circleIds,
        bypassQuietHours: e.bypassQuietHours,
      }));
    }
    case 'supportEscalated': {
      const e = payload.value;
      return without(e.notifiedUserIds, e.ownerId).map((recipientId) => ({
        recipientId,
        type: escalationType ?? NotificationType.SOS,
        actorId: e.ownerId,
        subject: { kind: 'incidentId', id: e.incidentId },
      }));
    }
    case 'supportAcknowledged':
    case 'supportResponded': {
      const e = payload.value;
      if (e.silent) return [];
      return [
        {
          recipientId: e.ownerId,
          type:
            payload.case === 'supportAcknowledged'
              ? NotificationType.SUPPORT_ACKNOWLEDGED
              : NotificationType.SUPPORT_RESPONSE,
          actorId: e.responderId,
          subject: { kind: 'incidentId', id: e.incidentId },
          preview: payload.case === 'supportResponded' ? payload.value.note : '',
        },
      ];
    }
    case 'supportClaimed': {
      const e = payload.value;
      return recipientsOf(e.recipientUserIds, e.ownerId, e.silent).map((recipientId) => ({
        recipientId,
        type: NotificationType.SUPPORT_CLAIMED,
        actorId: e.responderId,
        subject: { kind: 'incidentId', id: e.incidentId },
      }));
    }
    case 'supportNoteAdded': {
      const e = payload.value;
      return recipientsOf(e.recipientUserIds, e.ownerId, e.silent).map((recipientId) => ({
        recipientId,
        type: NotificationType.SUPPORT_NOTE,
        actorId: e.authorId,
        subject: { kind: 'incidentId', id: e.incidentId },
        preview: e.text,
      }));
    }
    case 'supportResolved': {
      const e = payload.value;
      // To those alerted, never the owner: a cancel (real or under duress) tells the owner nothing.
      return without(e.recipientUserIds, e.ownerId).map((recipientId) => ({
        recipientId,
        type: NotificationType.SUPPORT_RESOLVED,
        actorId: e.resolvedByUserId || undefined,
        subject: { kind: 'incidentId', id: e.incidentId },
      }));
    }
    case 'supportDuressCancelled': {
      const e = payload.value;
      return without(e.recipientUserIds, e.ownerId).map((recipientId) => ({
        recipientId,
        type: NotificationType.DURESS_ALERT,
        actorId: e.ownerId,
        subject: { kind: 'incidentId', id: e.incidentId },
      }));
    }
    case 'supportCheckInRequested': {
      const e = payload.value;
      return [
        {
          recipientId: e.userId,
          type: NotificationType.CHECK_IN_REQUESTED,
          actorId: e.requestedByUserId,
          subject: { kind: 'checkInId', id: e.checkInId },
          preview: e.message,
        },
      ];
    }
    case 'supportCheckInReminded': {
      const e = payload.value;
      return [
        {
          recipientId: e.userId,
          type: NotificationType.CHECK_IN_REMINDER,
          subject: { kind: 'checkInId', id: e.checkInId },
        },
      ];
    }
    case 'supportCheckInMissed': {
      const e = payload.value;
      return [
        {
          recipientId: e.userId,
          type: NotificationType.CHECK_IN_MISSED,
          subject: { kind: 'checkInId', id: e.checkInId },
        },
      ];
    }

    // moderation.* — never an actor: moderators stay unnamed.
    case 'moderationContentActioned':
    case 'moderationAccountActioned': {
      const e = payload.value;
      const subject = e.actionId
        ? ({ kind: 'actionId', id: e.actionId } as const)
        : e.strikeId
          ? ({ kind: 'strikeId', id: e.strikeId } as const)
          : undefined;
      return [
        {
          recipientId: e.userId,
          type: NotificationType.MODERATION_ACTION,
          subject,
          preview: e.statementOfReasons?.explanation ?? '',
        },
      ];
    }
    case 'moderationActionReversed': {
      const e = payload.value;
      return [
        {
          recipientId: e.userId,
          type: NotificationType.MODERATION_ACTION,
          subject: { kind: 'actionId', id: e.actionId },
          preview: 'A moderation decision about you was reversed',
        },
      ];
    }
    case 'moderationReportDecided': {
      const e = payload.value;
      return e.reporterIds.map((recipientId, i) => ({
        recipientId,
        type: NotificationType.REPORT_OUTCOME,
        subject: e.reportIds[i] ? { kind: 'reportId', id: e.reportIds[i] } : undefined,
        preview: e.message,
      }));
    }
    case 'moderationAppealResolved': {
      const e = payload.value;
      return [
        {
          recipientId: e.userId,
          type: NotificationType.APPEAL_DECIDED,
          subject: { kind: 'appealId', id: e.appealId },
          preview: e.decisionReason,
        },
      ];
    }

    // auth.* — the account owner only; no addresses, no IP.
    case 'authLoginSucceeded':
      if (!payload.value.newDevice) return [];
      return [security(payload.value.userId, 'New sign-in from a device not seen before')];
    case 'authPasswordChanged':
      return [security(payload.value.userId, 'Your password was changed')];
    case 'authEmailChanged':
      return [security(payload.value.userId, 'Your e-mail address was changed')];
    case 'authMfaChanged':
      return [security(payload.value.userId, mfaText(payload.value.change))];

    default:
      return [];
  }
}

function security(userId: string, preview: string): NotificationDraft {
  return { recipientId: userId, type: NotificationType.SECURITY_ALERT, preview };
}

function mfaText(change: AuthMfaChange): string {
  switch (change) {
    case AuthMfaChange.TOTP_ENABLED:
      return 'Two-factor authentication was turned on';
    case AuthMfaChange.TOTP_DISABLED:
      return 'Two-factor authentication was turned off';
    case AuthMfaChange.RECOVERY_CODES_REGENERATED:
      return 'New recovery codes were generated';
    case AuthMfaChange.RESET_BY_STAFF:
      return 'Two-factor authentication was reset by support';
    default:
      return 'Your two-factor authentication changed';
  }
}

function roleName(role: CircleRole): string {
  switch (role) {
    case CircleRole.OWNER:
      return 'owner';
    case CircleRole.ADMIN:
      return 'admin';
    default:
      return 'member';
  }
}

/** The notification an incident's alert is, by its kind. */
export function alertType(kind: IncidentKind): NotificationType {
  switch (kind) {
    case IncidentKind.HELP_REQUEST:
      return NotificationType.HELP_REQUEST;
    case IncidentKind.MISSED_CHECK_IN:
      return NotificationType.CHECK_IN_MISSED;
    default:
      return NotificationType.SOS;
  }
}

/** The alert types an incident can raise, for looking up an escalation's. */
export const ALERT_TYPES: readonly NotificationType[] = [
  NotificationType.SOS,
  NotificationType.CHECK_IN_MISSED,
  NotificationType.HELP_REQUEST,
];

function without(ids: readonly string[], ownerId: string): string[] {
  return [...new Set(ids)].filter((id) => id !== ownerId);
}

function recipientsOf(ids: readonly string[], ownerId: string, silent: boolean): string[] {
  return silent ? without(ids, ownerId) : [...new Set(ids)];
}
