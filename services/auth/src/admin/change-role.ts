import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { Role } from '@kith/context';
import { toProtoRole } from '../accounts/account-message.js';
import { updateAccount } from '../accounts/account-store.js';
import { liveKeyHashes } from '../api-keys/api-key-store.js';
import type { AuthApp } from '../app.js';
import { audit } from '../audit/audit-store.js';
import type { Account, AuthTrx } from '../db/schema.js';
import type { RequestMeta } from '@kith/runtime';
import { revocationReason } from '../security-events.js';

/**
 * The one way a role changes (SetRole, AUTH_BOOTSTRAP_ADMINS): the role is written, the tokens
 * and cached API-key grants that carry the old one are revoked (with the event the durable
 * backstop replays) once the transaction commits, and the change is announced and audited.
 */
export async function changeRole(
  app: AuthApp,
  trx: AuthTrx,
  input: {
    account: Pick<Account, 'id' | 'role'>;
    role: Role;
    /** Staff making the change; null for the service itself (bootstrap). */
    actorId: string | null;
    reason: string;
    meta: RequestMeta;
    now: Date;
  },
): Promise<void> {
  const { account, role, actorId, now } = input;
  await updateAccount(trx, account.id, { role, updated_at: now });
  // Tokens carry the role: the old ones die now and a refresh mints one with the new role.
  await app.sessions.invalidateAccessTokens(trx, account.id, now);
  // Cached API-key grants carry it too: dropped, so the next call re-reads the role.
  app.revokeOnCommit(
    trx,
    (await liveKeyHashes(trx, account.id, now)).map((keyHash) => ({ kind: 'api_key', keyHash })),
  );
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
  await audit(trx, { accountId: account.id, actorId, meta: input.meta, now }, 'role_changed', {
    old_role: account.role,
    new_role: role,
    reason: input.reason,
  });
}
