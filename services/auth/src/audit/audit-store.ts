import { fetchPage } from '@kith/db';
import type { PageTokenCodec } from '@kith/db';
import type { Kysely } from 'kysely';
import type { AuthDatabase } from '../db/schema.js';
import type { AuditType } from './audit-log.js';

export interface AuditFilters {
  accountId: string;
  types: AuditType[];
  ip: string;
  after: Date | undefined;
  before: Date | undefined;
}

/** A page of the audit log, newest first, narrowed by whichever filters are set. */
export function auditEventsPage(
  db: Kysely<AuthDatabase>,
  codec: PageTokenCodec,
  filters: AuditFilters,
  page: { pageSize: number; pageToken: string; binding: string },
) {
  let query = db.selectFrom('audit_events').selectAll();
  if (filters.accountId) query = query.where('account_id', '=', filters.accountId);
  if (filters.types.length > 0) query = query.where('type', 'in', filters.types);
  if (filters.ip) query = query.where('ip', '=', filters.ip);
  if (filters.after) query = query.where('occurred_at', '>=', filters.after);
  if (filters.before) query = query.where('occurred_at', '<', filters.before);
  return fetchPage(query, {
    columns: [
      { ref: 'occurred_at', direction: 'desc' },
      { ref: 'id', direction: 'desc' },
    ],
    pageSize: page.pageSize,
    pageToken: page.pageToken,
    codec,
    binding: page.binding,
    keysOf: (r) => [r.occurred_at],
    idOf: (r) => r.id,
  });
}
