import { UnauthenticatedError } from '@kith/errors';
import type { Caller } from '@kith/runtime';
import type { Kysely } from 'kysely';
import type { AuthApp } from '../app.js';
import { audit } from '../audit/audit-store.js';
import type { AuthDatabase } from '../db/schema.js';
import type { RequestMeta } from '@kith/runtime';
import { findAccountById } from './account-store.js';
import { invalidLinkError, redeemEmailToken } from './email-tokens.js';
import { dropPendingEmailChange } from './pending-email.js';

/**
 * CancelEmailChange: signed in, or with the token of the cancel link mailed to the current
 * address when the change was requested (the owner may no longer be able to sign in). The
 * pending address and its confirmation link are dropped. No pending change: the same empty
 * answer. A bad cancel token: the one invalid-link answer.
 */
export async function cancelEmailChange(
  app: AuthApp,
  caller: Caller,
  input: { token: string },
): Promise<void> {
  const { meta, now } = caller;
  if (input.token !== '') {
    await app.database.transaction(async (trx) => {
      const token = await redeemEmailToken(trx, input.token, ['cancel_email_change'], now);
      if (!token) throw invalidLinkError();
      const account = await findAccountById(trx, token.account_id, { forUpdate: true });
      // Sent to an address the account no longer has: it speaks for nobody now.
      if (!account || token.email !== account.email) throw invalidLinkError();
      await cancel(trx, account.id, null, meta, now, 'cancel_link');
    });
    return;
  }
  const principal = caller.principal;
  if (!principal) throw new UnauthenticatedError('sign in, or use the link from the e-mail');
  await app.database.transaction(async (trx) => {
    const account = await findAccountById(trx, principal.userId, { forUpdate: true });
    if (!account) throw new UnauthenticatedError();
    await cancel(trx, account.id, principal.sessionId ?? null, meta, now, 'signed_in');
  });
}

async function cancel(
  trx: Kysely<AuthDatabase>,
  accountId: string,
  sessionId: string | null,
  meta: RequestMeta,
  now: Date,
  via: 'cancel_link' | 'signed_in',
): Promise<void> {
  if (!(await dropPendingEmailChange(trx, accountId, now))) return;
  await audit(trx, { accountId, sessionId, meta, now }, 'email_change_cancelled', { via });
}
