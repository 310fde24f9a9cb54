import { withTables } from '@kith/db';
import type { Envelope } from '@kith/gen/kith/events/v1/events_pb.js';
import { NotificationType } from '@kith/gen/kith/user/v1/notification_pb.js';
import { decodeEvent, eventType } from '@kith/runtime';
import type { ConsumedMessage, ConsumerSpec } from '@kith/runtime';
import type { UserDatabase } from '../db/schema.js';
import type { Kysely } from 'kysely';
import type { UserApp } from '../app.js';
import { ALERT_TYPES, draftsFor } from './drafts.js';
import {
  deleteActorNotifications,
  deleteCircleQuietHours,
  typeRecordedFor,
  upsertCircleQuietHours,
} from './notification-store.js';
import type { NotificationStoreDb } from './notification-store.js';
import { recordNotifications } from './record.js';

/** The domains whose events notify, each read by its own durable consumer. */
const SOURCES = ['user', 'post', 'circle', 'support', 'moderation', 'auth'] as const;

/** The event every recorded notification emits (for the gateway and the push worker). */
export const NOTIFICATION_CREATED = eventType('userNotificationCreated');

/**
 * Events under a consumer's filter that notify nobody and change nothing here, acknowledged
 * without a transaction: its own output coming back, and an incident's delivery receipts and
 * location events (one receipt per alerted member of every SOS; location is never read here).
 */
export const NOTIFIES_NOBODY: Partial<Record<(typeof SOURCES)[number], string[]>> = {
  user: [NOTIFICATION_CREATED],
  support: [
    eventType('supportAlertDelivered'),
    eventType('supportLocationShared'),
    eventType('supportLocationStopped'),
  ],
};

/**
 * One durable consumer per source domain (`notifications-from-<domain>` on
 * `kith.events.<domain>.>`), so a backlog in one never delays another's. Each turns an event
 * into notifications (drafts.ts) and records them in the inbox's transaction; the inbox skips
 * redeliveries and the (event, recipient, type) key makes a second insert a no-op anyway.
 */
export function notificationConsumers(app: UserApp): ConsumerSpec<UserDatabase>[] {
  // Decoded once for the order keys and once more for the handler would be twice the work.
  const decoded = new WeakMap<ConsumedMessage, Envelope>();
  const eventOf = (message: ConsumedMessage) => {
    let event = decoded.get(message);
    if (!event) decoded.set(message, (event = decodeEvent(message.data)));
    return event;
  };
  return SOURCES.map((domain) => ({
    durable: `notifications-from-${domain}`,
    subjects: `kith.events.${domain}.>`,
    ignores: NOTIFIES_NOBODY[domain],
    concurrency: CONCURRENCY,
    orderKeys: (message) => orderKeysOf(eventOf(message)),
    async handle(trx, message) {
      const event = eventOf(message);
      await applyEvent(app, withTables<UserDatabase>(trx), event, event.id || message.id);
    },
  }));
}

/**
 * Events each consumer applies side by side (each in its own transaction and pooled
 * connection), as long as no two touch the same user's notifications (`orderKeysOf`).
 */
const CONCURRENCY = 4;

/**
 * The users whose notifications or circle quiet hours an event changes or reads: two events
 * that share one are applied in stream order, so an unlike never runs before its like, a
 * notification joins the group an earlier one opened rather than opening a second, and a
 * help request sees the member's quiet hours as the events before it left them. Undefined for
 * support.escalated, which reads what the alert's notifications recorded: it waits for every
 * event before it.
 */
export function orderKeysOf(event: Envelope): readonly string[] | undefined {
  const { payload } = event;
  switch (payload.case) {
    case 'postUnliked':
    case 'postUnreposted':
      return [payload.value.postAuthorId];
    case 'circleSafetyRoleChanged':
    case 'circleMemberLeft':
    case 'circleMemberRemoved':
      return [payload.value.userId, ...recipientsOf(payload)];
    case 'supportEscalated':
      return undefined;
    default:
      return recipientsOf(payload);
  }
}

const recipientsOf = (payload: Envelope['payload']) => [
  ...new Set(draftsFor(payload).map((draft) => draft.recipientId)),
];

/** What one event changes in the notifications area. */
export async function applyEvent(
  app: UserApp,
  trx: Kysely<UserDatabase>,
  event: Envelope,
  sourceId: string,
): Promise<void> {
  const { payload } = event;
  const db = withTables<NotificationStoreDb>(trx);
  switch (payload.case) {
    case 'postUnliked':
    case 'postUnreposted': {
      // The actor leaves the group (and the count) of their like or repost.
      const e = payload.value;
      await deleteActorNotifications(db, {
        recipientId: e.postAuthorId,
        type: payload.case === 'postUnliked' ? NotificationType.LIKE : NotificationType.REPOST,
        subjectId: e.postId,
        actorId: e.userId,
      });
      return;
    }
    case 'circleSafetyRoleChanged': {
      const e = payload.value;
      const window = e.safety?.quietHours;
      await upsertCircleQuietHours(db, {
        circle_id: e.circleId,
        user_id: e.userId,
        start_minute: window?.startMinute ?? 0,
        end_minute: window?.endMinute ?? 0,
        time_zone: window?.timeZone ?? '',
        enabled: Boolean(window && e.safety?.quietHoursEnabled),
        version: e.version.toString(),
      });
      return;
    }
    case 'circleMemberLeft':
      await deleteCircleQuietHours(db, payload.value.userId, payload.value.circleId);
      return;
    case 'circleMemberRemoved':
      await deleteCircleQuietHours(db, payload.value.userId, payload.value.circleId);
      break; // and CIRCLE_REMOVED below
    default:
      break;
  }
  let escalationType: NotificationType | undefined;
  if (payload.case === 'supportEscalated') {
    escalationType = await typeRecordedFor(db, payload.value.incidentId, ALERT_TYPES);
  }
  await recordNotifications(app, trx, draftsFor(payload, escalationType), sourceId);
}
