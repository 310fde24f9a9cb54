import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import type { AuthDatabase } from '../db/schema.js';
import type { RequestMeta } from '@kith/runtime';
import { fetchPage } from '@kith/db';
import type { PageTokenCodec } from '@kith/db';
/** Audit event types, the lowercase names of `kith.auth.v1.AuditEventType`. */
export type AuditType =
  | 'registered'
  | 'email_verified'
  | 'login_succeeded'
  | 'login_failed'
  | 'login_challenged'
  | 'mfa_succeeded'
  | 'mfa_failed'
  | 'token_refreshed'
  | 'refresh_token_reused'
  | 'logout'
  | 'logout_all'
  | 'session_revoked'
  | 'reauthenticated'
  | 'password_changed'
  | 'password_reset_requested'
  | 'password_reset'
  | 'email_change_requested'
  | 'email_changed'
  | 'mfa_enrolled'
  | 'mfa_disabled'
  | 'recovery_codes_regenerated'
  | 'oauth_linked'
  | 'oauth_unlinked'
  | 'api_key_created'
  | 'api_key_revoked'
  | 'role_changed'
  | 'account_disabled'
  | 'account_enabled'
  | 'rate_limited'
  | 'blocked_by_policy'
  | 'policy_changed'
  | 'staff_access'
  | 'registration_expired'
  | 'email_change_cancelled'
  | 'mfa_reset';

/**
 * Who an entry is about and who acted, with the request it came from: a use case passes its
 * caller (`{ meta, now }`) with the ids that apply.
 */
export interface AuditSource {
  /** The account the entry is about; omitted for policy changes and anonymous refusals. */
  accountId?: string | null;
  /** Staff acting on someone else's account; omitted when the account acted itself. */
  actorId?: string | null;
  sessionId?: string | null;
  meta: RequestMeta;
  now: Date;
}

/**
 * Appends one entry in the caller's transaction (the table refuses updates and deletes).
 * `details` are facts, never secrets: reasons, old/new values, ids.
 */
export async function audit(
  trx: Kysely<AuthDatabase>,
  source: AuditSource,
  type: AuditType,
  details: Record<string, string> = {},
): Promise<void> {
  await trx
    .insertInto('audit_events')
    .values({
      id: uuidv7(),
      type,
      account_id: source.accountId ?? null,
      actor_id: source.actorId ?? null,
      session_id: source.sessionId ?? null,
      ip: source.meta.ip,
      user_agent: source.meta.userAgent,
      request_id: source.meta.requestId,
      details,
      occurred_at: source.now,
    })
    .execute();
}

// The audit log search.

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
