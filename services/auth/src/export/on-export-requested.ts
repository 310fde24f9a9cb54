import { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';
import type { BlobStorage, ConsumerSpec } from '@kith/runtime';
import { exportPartConsumer } from '@kith/runtime';
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

/** `user.export_requested`: auth's part of the export (authDataOf). */
export function onExportRequested(app: AuthApp, blobs: BlobStorage): ConsumerSpec<AuthDatabase> {
  return exportPartConsumer<AuthDatabase>({
    durable: 'export-part',
    service: KithService.AUTH,
    blobs,
    clock: app.clock,
    emit: (trx, payload) => app.emit(trx, null, payload),
    dataOf: (trx, userId) => authDataOf(trx, userId),
    logger: app.logger,
  });
}
