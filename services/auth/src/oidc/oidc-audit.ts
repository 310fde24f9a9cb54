import type { Kysely } from 'kysely';
import { audit } from '../audit/audit-store.js';
import type { AuthDatabase } from '../db/schema.js';
import type { PrimaryAuthResult } from '../login/complete-login.js';
import type { RequestMeta } from '@kith/runtime';

// Audit entries of OIDC logins: the provider and a reason, never a code, token or address.

export async function auditOidcFailure(
  trx: Kysely<AuthDatabase>,
  entry: {
    meta: RequestMeta;
    now: Date;
    providerId: string;
    reason: string;
    accountId?: string | null;
  },
): Promise<void> {
  await audit(
    trx,
    { accountId: entry.accountId ?? null, meta: entry.meta, now: entry.now },
    'login_failed',
    { method: 'oidc', provider_id: entry.providerId, reason: entry.reason },
  );
}

export async function auditOidcSuccess(
  trx: Kysely<AuthDatabase>,
  entry: {
    accountId: string;
    result: PrimaryAuthResult;
    meta: RequestMeta;
    now: Date;
    providerId: string;
    accountCreated: boolean;
  },
): Promise<void> {
  // A challenged login is audited (login_challenged) where the challenge is made.
  if (!('tokens' in entry.result)) return;
  await audit(
    trx,
    {
      accountId: entry.accountId,
      sessionId: entry.result.tokens.sessionId ?? null,
      meta: entry.meta,
      now: entry.now,
    },
    'login_succeeded',
    {
      method: 'oidc',
      provider_id: entry.providerId,
      account_created: String(entry.accountCreated),
    },
  );
}
