import { recordStaffAccess } from '../admin/staff-access.js';
import type { AuthApp } from '../app.js';
import type { SignedInCaller } from '@kith/runtime';
import { auditEventsPage } from './audit-store.js';
import type { AuditFilters } from './audit-store.js';

/** ListAuditEvents: searches the append-only log; the search itself is audited. */
export async function listAuditEvents(
  app: AuthApp,
  caller: SignedInCaller,
  filters: AuditFilters,
  page: { pageSize: number; pageToken: string },
) {
  const ip = filters.ip.toLowerCase();
  const { accountId, types, after, before } = filters;
  // A page token replays only the query (filters and caller) that issued it.
  const described = JSON.stringify([accountId, types, ip, after?.getTime(), before?.getTime()]);
  const binding = `auth.ListAuditEvents|${caller.principal.userId}|${described}`;
  await recordStaffAccess(app, caller, { method: 'ListAuditEvents', filters: described });
  return auditEventsPage(app.database.db, app.pageTokens, { ...filters, ip }, { ...page, binding });
}
