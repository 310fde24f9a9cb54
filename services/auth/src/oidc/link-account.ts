import { FailedPreconditionError, NotFoundError } from '@kith/errors';
import type { SignedInCaller } from '@kith/runtime';
import type { AuthApp } from '../app.js';
import { audit } from '../audit/audit-store.js';
import { loadCallerAccount } from '../accounts/caller-account.js';
import type { RequestMeta } from '@kith/runtime';
import { requireRecentAuth } from '../sessions/recent-auth.js';
import type { OidcIdentity } from './identity.js';
import {
  countIdentities,
  deleteIdentity,
  findIdentity,
  findProviderIdentity,
  identityConflict,
  insertIdentity,
} from './link-identities.js';
import type { IdentityRow } from './link-identities.js';

export const linkedElsewhere = () =>
  new FailedPreconditionError('this identity is linked to another account');

export const providerAlreadyLinked = () =>
  new FailedPreconditionError('an identity of this provider is already linked: unlink it first');

/**
 * Links a proven identity to the account that started the link. Linking the identity the
 * account already has is a no-op; one held by another account, or a second identity at the
 * same provider, is refused.
 */
export async function linkIdentity(
  app: AuthApp,
  input: {
    accountId: string;
    /** The session finishing the link, for the audit log. */
    sessionId: string | null;
    providerId: string;
    identity: OidcIdentity;
    meta: RequestMeta;
    now: Date;
  },
): Promise<IdentityRow> {
  const { identity, meta, now } = input;
  try {
    return await app.database.transaction(async (trx) => {
      const account = await loadCallerAccount(trx, input.accountId, now, { forUpdate: true });
      const existing = await findIdentity(trx, identity.issuer, identity.subject);
      if (existing !== undefined) {
        if (existing.account_id !== account.id) throw linkedElsewhere();
        return existing;
      }
      if ((await findProviderIdentity(trx, account.id, input.providerId)) !== undefined) {
        throw providerAlreadyLinked();
      }
      const row = await insertIdentity(trx, {
        accountId: account.id,
        providerId: input.providerId,
        identity,
        now,
      });
      await audit(
        trx,
        { accountId: account.id, sessionId: input.sessionId, meta, now },
        'oauth_linked',
        { provider_id: input.providerId, during: 'link' },
      );
      return row;
    });
  } catch (err) {
    // A concurrent link or sign-up took the identity (or this provider's slot) first.
    const conflict = identityConflict(err);
    if (conflict === 'identity') throw linkedElsewhere();
    if (conflict === 'provider') throw providerAlreadyLinked();
    throw err;
  }
}

/**
 * Removes the caller's identity at `providerId` (re-auth). Refused when it is the account's
 * only way in: no password and no other identity.
 */
export async function unlinkIdentity(
  app: AuthApp,
  caller: SignedInCaller,
  input: { providerId: string },
): Promise<void> {
  const { principal, meta, now } = caller;
  const { providerId } = input;
  await app.database.transaction(async (trx) => {
    await requireRecentAuth(trx, principal, now, app.config.reauthWindowMs);
    const account = await loadCallerAccount(trx, principal.userId, now, { forUpdate: true });
    const identity = await findProviderIdentity(trx, account.id, providerId);
    if (identity === undefined) throw new NotFoundError('no identity of this provider is linked');
    if (account.password_hash === null && (await countIdentities(trx, account.id)) <= 1) {
      throw new FailedPreconditionError(
        'this is the only way to sign in to the account: set a password or link another provider first',
      );
    }
    await deleteIdentity(trx, identity.id);
    await audit(
      trx,
      { accountId: account.id, sessionId: principal.sessionId ?? null, meta, now },
      'oauth_unlinked',
      { provider_id: providerId },
    );
  });
}
