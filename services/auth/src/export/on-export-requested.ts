import { isUuid } from '@kith/bus';
import { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';
import type { BlobStorage, ConsumerSpec } from '@kith/runtime';
import { decodeEvent, writeExportPart } from '@kith/runtime';
import type { Kysely } from 'kysely';
import type { AuthApp } from '../app.js';
import type { AuthDatabase } from '../db/schema.js';
import {
  countUnusedRecoveryCodes,
  exportAccount,
  exportApiKeys,
  exportAuditEntries,
  exportKnownDevices,
  exportLinkedIdentities,
  exportSessions,
} from './export-store.js';

/**
 * What auth holds about the user, one JSON document per category. Only the account's own rows
 * and never a secret: no password or key hashes, no TOTP secret, no recovery code, no token.
 * Who acted in an audit entry is `self`, `staff` or `system`, never another account's id. An
 * account auth does not know (erased, never there) gives empty categories.
 */
export async function authDataOf(
  db: Kysely<AuthDatabase>,
  userId: string,
): Promise<Record<string, unknown>> {
  // One after the other: a transaction is one session.
  const account = await exportAccount(db, userId);
  const sessions = await exportSessions(db, userId);
  const devices = await exportKnownDevices(db, userId);
  const apiKeys = await exportApiKeys(db, userId);
  const recoveryCodesLeft = await countUnusedRecoveryCodes(db, userId);
  const identities = await exportLinkedIdentities(db, userId);
  const audit = await exportAuditEntries(db, userId);
  return {
    account: account
      ? {
          id: account.id,
          username: account.username,
          email: account.email,
          email_verified_at: account.email_verified_at,
          pending_email: account.pending_email,
          locale: account.locale,
          consent: account.consent,
          role: account.role,
          last_login_at: account.last_login_at,
          disabled_at: account.disabled_at,
          created_at: account.created_at,
          updated_at: account.updated_at,
        }
      : null,
    mfa: {
      totp_enabled: account?.totp_enabled_at != null,
      totp_enabled_at: account?.totp_enabled_at ?? null,
      recovery_codes_remaining: recoveryCodesLeft,
    },
    sessions,
    known_devices: devices,
    api_keys: apiKeys,
    linked_identities: identities,
    audit_log: audit.map(({ actor_id: actor, ...entry }) => ({
      ...entry,
      actor: actor === null ? 'system' : actor === userId ? 'self' : 'staff',
    })),
  };
}

/**
 * `user.export_requested`: auth writes its part of the data export into the export bucket at
 * the saga's key and announces it with data.export_part_ready in the same transaction
 * (data_events.proto step 2). A redelivery writes the same part again; the user service keeps
 * the part announced first, and the bytes are the same but for what changed in between.
 */
export function onExportRequested(app: AuthApp, blobs: BlobStorage): ConsumerSpec<AuthDatabase> {
  return {
    durable: 'export-part',
    subjects: 'kith.events.user.export_requested',
    async handle(trx, message) {
      const { payload } = decodeEvent(message.data);
      if (payload.case !== 'userExportRequested') return;
      const { userId, dataExportId } = payload.value;
      // Event payloads are not validated on the way in: a malformed id is ignored.
      if (!isUuid(userId) || !isUuid(dataExportId)) return;
      const part = await writeExportPart(blobs, {
        dataExportId,
        service: KithService.AUTH,
        files: await authDataOf(trx, userId),
        modifiedAt: app.clock(),
      });
      await app.emit(trx, null, {
        case: 'dataExportPartReady',
        value: { dataExportId, userId, service: KithService.AUTH, ...part },
      });
      app.logger.info({ dataExportId, sizeBytes: Number(part.sizeBytes) }, 'export part written');
    },
  };
}
