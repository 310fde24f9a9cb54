import type { AuthApp } from '../app.js';
import { recordAudit } from '../audit/audit-log.js';
import { toProtoRole } from '../accounts/account-message.js';

const SYSTEM_META = { ip: '', userAgent: '', requestId: 'bootstrap' };

/**
 * Makes the verified accounts named in AUTH_BOOTSTRAP_ADMINS admins (at start, on each key
 * maintenance tick, and right after an e-mail is verified). Verification matters: only the
 * owner of the inbox can make such an account count. Audited and announced like SetRole.
 */
export async function applyBootstrapAdmins(app: AuthApp): Promise<string[]> {
  const emails = app.config.bootstrapAdmins;
  if (emails.length === 0) return [];
  const now = app.clock();
  const promoted = await app.database.transaction(async (trx) => {
    const accounts = await trx
      .selectFrom('accounts')
      .select(['id', 'role'])
      .where('email_canonical', 'in', emails)
      .where('email_verified_at', 'is not', null)
      .where('disabled_at', 'is', null)
      .where('role', '!=', 'admin')
      .forUpdate()
      .execute();
    const revocations = [];
    for (const account of accounts) {
      await trx
        .updateTable('accounts')
        .set({ role: 'admin', updated_at: now })
        .where('id', '=', account.id)
        .execute();
      revocations.push(await app.sessions.invalidateAccessTokens(trx, account.id, now));
      await recordAudit(trx, {
        type: 'role_changed',
        accountId: account.id,
        meta: SYSTEM_META,
        details: { old_role: account.role, new_role: 'admin', reason: 'AUTH_BOOTSTRAP_ADMINS' },
        at: now,
      });
      await app.emit(trx, null, {
        case: 'authRoleChanged',
        value: {
          userId: account.id,
          oldRole: toProtoRole(account.role),
          newRole: toProtoRole('admin'),
          changedByUserId: '',
        },
      });
    }
    return { ids: accounts.map((a) => a.id), revocations };
  });
  await app.publishRevocations(promoted.revocations);
  return promoted.ids;
}
