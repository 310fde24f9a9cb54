import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { isUuid } from '@kith/bus';
import { withTables } from '@kith/db';
import { NotificationType } from '@kith/gen/kith/user/v1/notification_pb.js';
import type { SupportInternalService } from '@kith/gen/kith/support/v1/internal_pb.js';
import { DeliveryChannel } from '@kith/gen/kith/support/v1/types_pb.js';
import type { InternalClient, SignedInCaller } from '@kith/runtime';
import type { UserApp } from '../app.js';
import { pushedNotificationsOf } from './push-store.js';
import type { PushStoreDb } from './push-store.js';

/** The incident alerts: their push receipts count as deliveries for the support service. */
const INCIDENT_ALERTS = new Set<number>([
  NotificationType.SOS,
  NotificationType.HELP_REQUEST,
  NotificationType.CHECK_IN_MISSED,
  NotificationType.DURESS_ALERT,
]);

/**
 * ConfirmPushDelivery: of the notifications named, the caller's own pushes; those that are
 * incident alerts (the push's data names the incident as `incidentId`) are passed to
 * SupportInternalService.RecordDeliveries. Support being down is logged, never the caller's
 * problem: the receipt is a best-effort signal and the escalation ladder does not wait on it.
 */
export async function confirmPushDelivery(
  app: UserApp,
  support: Pick<InternalClient<typeof SupportInternalService>, 'recordDeliveries'>,
  caller: SignedInCaller,
  input: { notificationIds: readonly string[] },
): Promise<void> {
  const userId = caller.principal.userId;
  const pushed = await pushedNotificationsOf(withTables<PushStoreDb>(app.database.db), {
    recipientId: userId,
    notificationIds: input.notificationIds,
  });
  const incidents = new Set<string>();
  for (const row of pushed) {
    // The notifications area names the subject by its oneof case (`incidentId`).
    const incidentId = row.data['incidentId'] ?? row.data['incident_id'];
    if (INCIDENT_ALERTS.has(row.notification_type) && incidentId && isUuid(incidentId)) {
      incidents.add(incidentId.toLowerCase());
    }
  }
  if (incidents.size === 0) return;
  const deliveredAt = timestampFromDate(caller.now);
  try {
    await support.recordDeliveries({
      deliveries: [...incidents].map((incidentId) => ({
        incidentId,
        userId,
        channel: DeliveryChannel.PUSH,
        deliveredAt,
      })),
    });
  } catch (err) {
    app.logger.warn(
      { err, userId, incidents: incidents.size },
      'push receipts not passed to support',
    );
  }
}
