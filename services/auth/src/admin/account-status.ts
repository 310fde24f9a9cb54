import type { Role } from '@kith/context';
import { FailedPreconditionError, NotFoundError } from '@kith/errors';
import { findAccountByCanonicalEmail, findAccountById } from '../accounts/account-store.js';
import type { AuthApp } from '../app.js';
import { audit } from '../audit/audit-store.js';
import type { SignedInCaller } from '@kith/runtime';
import { canonicalEmail } from '../credentials/index.js';
import type { Account, AuthTrx } from '../db/schema.js';
import { cutAccess } from '../sessions/cut-access.js';
import { disableAccountRow, enableAccountRow } from './admin-store.js';
import { accountView } from './account-view.js';
import type { AccountMessage } from './account-view.js';
import { changeRole } from './change-role.js';
import { recordStaffAccess } from './staff-access.js';
import { requireStaffStepUp } from './step-up.js';
import type { StepUpOffer } from './step-up.js';

async function lockAccount(trx: AuthTrx, userId: string): Promise<Account> {
  const account = await findAccountById(trx, userId, { forUpdate: true });
  if (!account) throw new NotFoundError('account not found');
  return account;
}

async function reload(trx: AuthTrx, userId: string): Promise<AccountMessage> {
  const account = await findAccountById(trx, userId);
  if (!account) throw new NotFoundError('account not found');
  return accountView(trx, account);
}

/** SetRole (step-up): never on oneself, so the last admin cannot demote themselves. */
export async function setRole(
  app: AuthApp,
  caller: SignedInCaller,
  input: { userId: string; role: Role; reason: string; stepUp: StepUpOffer },
): Promise<AccountMessage> {
  const { principal: actor, meta, now } = caller;
  // An admin demoting themselves could leave no admin at all; someone else must do it.
  if (input.userId === actor.userId)
    throw new FailedPreconditionError('you cannot change your own role');
  await requireStaffStepUp(app, caller, input.stepUp);
  return app.database.transaction(async (trx) => {
    const account = await lockAccount(trx, input.userId);
    if (account.role === input.role) return accountView(trx, account);
    await changeRole(app, trx, {
      account,
      role: input.role,
      actorId: actor.userId,
      reason: input.reason,
      meta,
      now,
    });
    return reload(trx, account.id);
  });
}

/** LookupAccount by id or address; the look itself is audited. */
export async function lookupAccount(
  app: AuthApp,
  caller: SignedInCaller,
  lookup: { userId: string } | { email: string } | undefined,
): Promise<AccountMessage> {
  const db = app.database.db;
  let account: Account | undefined;
  if (lookup && 'userId' in lookup) account = await findAccountById(db, lookup.userId);
  if (lookup && 'email' in lookup) {
    account = await findAccountByCanonicalEmail(db, canonicalEmail(lookup.email));
  }
  if (!account) throw new NotFoundError('account not found');
  await recordStaffAccess(app, caller, {
    method: 'LookupAccount',
    target_account_id: account.id,
  });
  return accountView(db, account);
}

/**
 * DisableAccount (step-up): the account can no longer sign in, and every session, access token
 * and API key of it ends. A retry of a disable that already happened changes nothing.
 */
export async function disableAccount(
  app: AuthApp,
  caller: SignedInCaller,
  input: { userId: string; reason: string; stepUp: StepUpOffer },
): Promise<AccountMessage> {
  const { principal: actor, meta, now } = caller;
  if (input.userId === actor.userId)
    throw new FailedPreconditionError('you cannot disable your own account');
  await requireStaffStepUp(app, caller, input.stepUp);
  return app.database.transaction(async (trx) => {
    const account = await lockAccount(trx, input.userId);
    // A retry of a disable that already happened changes nothing and records nothing.
    if (account.disabled_at !== null) return accountView(trx, account);
    await disableAccountRow(trx, account.id, { reason: input.reason, by: actor.userId, now });
    const cut = await cutAccess(app, trx, {
      accountId: account.id,
      reason: 'account_disabled',
      revokeSessions: true,
      revokeApiKeys: true,
      actorId: actor.userId,
      now,
    });
    await app.emit(trx, actor.userId, {
      case: 'authAccountDisabled',
      value: { userId: account.id, reason: input.reason, disabledByUserId: actor.userId },
    });
    await audit(
      trx,
      { accountId: account.id, actorId: actor.userId, meta, now },
      'account_disabled',
      {
        reason: input.reason,
        revoked_sessions: String(cut.revokedSessions),
        revoked_api_keys: String(cut.revokedApiKeys),
      },
    );
    return reload(trx, account.id);
  });
}

/** EnableAccount: sessions and API keys ended by the disable stay ended. */
export async function enableAccount(
  app: AuthApp,
  caller: SignedInCaller,
  input: { userId: string; reason: string },
): Promise<AccountMessage> {
  const { principal: actor, meta, now } = caller;
  return app.database.transaction(async (trx) => {
    const account = await lockAccount(trx, input.userId);
    if (account.disabled_at === null) return accountView(trx, account);
    // Sessions and API keys ended by the disable stay ended: the user signs in afresh.
    await enableAccountRow(trx, account.id, now);
    await app.emit(trx, actor.userId, {
      case: 'authAccountEnabled',
      value: { userId: account.id, enabledByUserId: actor.userId },
    });
    await audit(
      trx,
      { accountId: account.id, actorId: actor.userId, meta, now },
      'account_enabled',
      { reason: input.reason },
    );
    return reload(trx, account.id);
  });
}
