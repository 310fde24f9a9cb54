import type { AuthApp } from '../app.js';
import { anyAdminExists, lockVerifiedAccountsByEmail } from '../accounts/account-store.js';
import { changeRole } from './change-role.js';

const SYSTEM_META = { ip: '', userAgent: '', requestId: 'bootstrap' };

/**
 * How the first staff account comes to exist: while there is no admin at all, a verified
 * account whose address is named in AUTH_BOOTSTRAP_ADMINS becomes one (only the owner of the
 * inbox can verify it). Once any admin exists this does nothing, so a later demotion by
 * SetRole sticks. Runs at start and whenever an address becomes verified (e-mail link,
 * password reset, OIDC sign-up); the change goes through `changeRole` like SetRole's.
 */
export async function applyBootstrapAdmins(app: AuthApp): Promise<string[]> {
  const emails = app.config.bootstrapAdmins;
  if (emails.length === 0) return [];
  const now = app.clock();
  const promoted = await app.database.transaction(async (trx) => {
    if (await anyAdminExists(trx)) return [];
    const accounts = await lockVerifiedAccountsByEmail(trx, emails);
    for (const account of accounts) {
      await changeRole(app, trx, {
        account,
        role: 'admin',
        actorId: null,
        reason: 'AUTH_BOOTSTRAP_ADMINS',
        meta: SYSTEM_META,
        now,
      });
    }
    return accounts.map((a) => a.id);
  });
  return promoted;
}
