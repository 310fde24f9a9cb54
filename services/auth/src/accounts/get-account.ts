import type { AuthApp } from '../app.js';
import type { SignedInCaller } from '@kith/runtime';
import { loadCallerAccount } from './caller-account.js';
import { toAccountMessage } from './account-message.js';
import { linkedIdentities, unusedRecoveryCodes } from './account-store.js';

/** GetAccount: the caller's own account, with its recovery-code count and linked identities. */
export async function getAccount(app: AuthApp, caller: SignedInCaller) {
  const db = app.database.db;
  // One of the methods a restricted session (a suspended or banned account) may call.
  const account = await loadCallerAccount(db, caller.principal.userId, caller.now, {
    restricted: 'allowed',
  });
  const [recoveryCodesRemaining, identities] = await Promise.all([
    unusedRecoveryCodes(db, account.id),
    linkedIdentities(db, account.id),
  ]);
  return toAccountMessage(account, { recoveryCodesRemaining, identities });
}
