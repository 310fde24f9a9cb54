import type { AuthApp } from '../app.js';
import { audit } from '../audit/audit-store.js';
import type { SignedInCaller } from '@kith/runtime';

/**
 * Staff reading personal data (an account, the audit log) is itself audited, with who, what
 * and from where. The entry names no account of its own, so it never shows up in the listing of
 * the account looked at.
 */
export async function recordStaffAccess(
  app: AuthApp,
  caller: SignedInCaller,
  details: Record<string, string>,
): Promise<void> {
  await app.database.transaction((trx) =>
    audit(
      trx,
      { actorId: caller.principal.userId, meta: caller.meta, now: caller.now },
      'staff_access',
      details,
    ),
  );
}
