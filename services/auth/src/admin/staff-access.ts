import type { HandlerContext } from '@connectrpc/connect';
import type { AuthApp } from '../app.js';
import { recordAudit } from '../audit/audit-log.js';
import { requestMeta } from '../request-meta.js';

/**
 * Staff reading personal data (an account, the audit log) is itself audited, with who, what
 * and from where. The entry names no account of its own, so it never shows up in the listing of
 * the account looked at.
 */
export async function recordStaffAccess(
  app: AuthApp,
  ctx: Pick<HandlerContext, 'values' | 'requestHeader'>,
  actorId: string,
  details: Record<string, string>,
): Promise<void> {
  await app.database.transaction((trx) =>
    recordAudit(trx, {
      type: 'staff_access',
      actorId,
      meta: requestMeta(ctx),
      details,
      at: app.clock(),
    }),
  );
}
