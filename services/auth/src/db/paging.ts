import { NEWEST_FIRST, fetchPage } from '@kith/db';
import type { SelectQueryBuilder } from 'kysely';
import type { AuthApp } from '../app.js';

/**
 * A page of a list ordered newest first (`created_at desc, id desc`), the order of every auth
 * list but the audit log; `binding` names the method, its filters and the caller.
 */
export function newestFirstPage<
  DB,
  TB extends keyof DB,
  O extends { created_at: Date; id: string },
>(
  app: Pick<AuthApp, 'pageTokens'>,
  query: SelectQueryBuilder<DB, TB, O>,
  request: { pageSize: number; pageToken: string },
  binding: string,
) {
  return fetchPage(query, {
    columns: NEWEST_FIRST,
    pageSize: request.pageSize,
    pageToken: request.pageToken,
    codec: app.pageTokens,
    binding,
    keysOf: (row) => [row.created_at],
    idOf: (row) => row.id,
  });
}
