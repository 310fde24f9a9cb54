import { create } from '@bufbuild/protobuf';
import type { UserNotificationCreated } from '@kith/gen/kith/events/v1/user_events_pb.js';
import { NotificationEventSchema } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { NotificationEvent } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import { NotificationType } from '@kith/gen/kith/user/v1/notification_pb.js';

/** Notifications that never name who caused them (moderators, admins, the system). */
const ANONYMOUS: ReadonlySet<NotificationType> = new Set([
  NotificationType.MODERATION_ACTION,
  NotificationType.REPORT_OUTCOME,
  NotificationType.APPEAL_DECIDED,
  NotificationType.DATA_EXPORT_READY,
  NotificationType.SECURITY_ALERT,
  NotificationType.CHECK_IN_REMINDER,
  NotificationType.CIRCLE_REMOVED,
]);

/** The incident alerts: delivery receipts (Ack) are asked for these. */
const ALERTS: ReadonlySet<NotificationType> = new Set([
  NotificationType.SOS,
  NotificationType.HELP_REQUEST,
  NotificationType.CHECK_IN_MISSED,
  NotificationType.DURESS_ALERT,
]);

/**
 * user.notification_created as its recipient's socket sees it: without the recipient id, and
 * without the actor for the notifications that must not name one. An incident alert (about an
 * incident, not the owner's own missed check-in) is ack_required.
 */
export function notificationEvent(created: UserNotificationCreated): {
  event: NotificationEvent;
  ackRequired: boolean;
} {
  const type = created.notificationType;
  const event = create(NotificationEventSchema, {
    notificationId: created.notificationId,
    type,
    groupKey: created.groupKey,
    subject: created.subject,
    actorUserId: ANONYMOUS.has(type) ? '' : created.actorId,
    preview: created.preview,
    filtered: created.filtered,
  });
  const ackRequired = ALERTS.has(type) && created.subject?.kind.case === 'incidentId';
  return { event, ackRequired };
}
