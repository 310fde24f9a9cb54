import type { Trx } from '@kith/db';
import type { UserApp } from '../app.js';
import type { UserDatabase } from '../db/schema.js';

/**
 * Tells the user their archive is ready (NotificationType DATA_EXPORT_READY, no actor), in the
 * transaction that marks the export READY.
 *
 * STUB until the notifications area lands its function for system notifications: it only
 * logs. Once merged, this body becomes that one call (recipient `userId`, subject the
 * data_export_id), so the notification row, user.notification_created and the push are written
 * in this same transaction.
 */
export async function notifyDataExportReady(
  app: UserApp,
  _trx: Trx<UserDatabase>,
  notice: { userId: string; dataExportId: string },
): Promise<void> {
  app.logger.info(
    { userId: notice.userId, dataExportId: notice.dataExportId },
    'data export ready: notification pending the notifications area',
  );
}
