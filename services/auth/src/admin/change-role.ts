import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { Revocation } from '@kith/authn';
import type { Role } from '@kith/context';
import type { Kysely } from 'kysely';
import { toProtoRole } from '../accounts/account-message.js';
import { liveKeyHashes } from '../api-keys/repository.js';
import type { AuthApp } from '../app.js';
import { recordAudit } from '../audit/audit-log.js';
import type { Account, AuthDatabase } from '../db/schema.js';
import type { RequestMeta } from '../request-meta.js';
import { revocationReason } from '../security-events.js';

/**
 * The one way a role changes (SetRole, AUTH_BOOTSTRAP_ADMINS): the role is written, the tokens
 * and cached API-key grants that carry the old one are revoked (with the event the durable
 * backstop replays), and the change is announced and audited. Returns what to publish after
 * the commit.
 */
export async function changeRole(
  app: AuthApp,
  trx: Kysely<AuthDatabase>,
  input: {
    account: Pick<Account, 'id' | 'role'>;
    role: Role;
    /** Staff making the change; null for the service itself (bootstrap). */
    actorId: string | null;
    reason: string;
    meta: RequestMeta;
    now: Date;
  },
): Promise<Revocation[]> {
  const { account, role, actorId, now } = input;
  await trx
    .updateTable('accounts')
    .set({ role, updated_at: now })
    .where('id', '=', account.id)
    .execute();
  // Tokens carry the role: the old ones die now and a refresh mints one with the new role.
  const revocations: Revocation[] = [
    await app.sessions.invalidateAccessTokens(trx, account.id, now),
  ];
  // Cached API-key grants carry it too: dropped, so the next call re-reads the role.
  for (const keyHash of await liveKeyHashes(trx, account.id, now)) {
    revocations.push({ kind: 'api_key', keyHash });
  }
  await app.emit(trx, actorId, {
    case: 'authRoleChanged',
    value: {
      userId: account.id,
      oldRole: toProtoRole(account.role),
      newRole: toProtoRole(role),
      changedByUserId: actorId ?? '',
    },
  });
  await app.emit(trx, actorId, {
    case: 'authTokensInvalidated',
    value: {
      userId: account.id,
      validAfter: timestampFromDate(now),
      reason: revocationReason('role_changed'),
    },
  });
  await recordAudit(trx, {
    type: 'role_changed',
    accountId: account.id,
    actorId,
    meta: input.meta,
    details: { old_role: account.role, new_role: role, reason: input.reason },
    at: now,
  });
  return revocations;
}
