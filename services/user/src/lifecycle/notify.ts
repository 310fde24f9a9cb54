import type { Trx } from '@kith/db';
import { NotificationType } from '@kith/gen/kith/user/v1/notification_pb.js';
import type { UserApp } from '../app.js';
import type { UserDatabase } from '../db/schema.js';
import { notifySystem } from '../notifications/index.js';

/**
 * Tells the user their archive is ready (DATA_EXPORT_READY, no actor, subject the export), in
 * the transaction that marks the export READY: the notification row, user.notification_created
 * and the push are written with it or not at all. The export id as the source makes a second
 * call for the same export record nothing.
 */
export async function notifyDataExportReady(
  app: UserApp,
  trx: Trx<UserDatabase>,
  notice: { userId: string; dataExportId: string },
): Promise<void> {
  await notifySystem(trx, app, {
    recipientId: notice.userId,
    type: NotificationType.DATA_EXPORT_READY,
    subject: { kind: 'dataExportId', id: notice.dataExportId },
    sourceId: notice.dataExportId,
  });
}
