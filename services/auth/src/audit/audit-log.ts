import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import type { AuthDatabase } from '../db/schema.js';
import type { RequestMeta } from '../request-meta.js';

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

export interface AuditEntry {
  type: AuditType;
  accountId?: string | null;
  /** Staff acting on someone else's account; omitted when the account acted itself. */
  actorId?: string | null;
  sessionId?: string | null;
  meta: RequestMeta;
  /** Facts, never secrets: reasons, old/new values, ids. */
  details?: Record<string, string>;
  at: Date;
}

/** Appends one entry in the caller's transaction (the table refuses updates and deletes). */
export async function recordAudit(trx: Kysely<AuthDatabase>, entry: AuditEntry): Promise<void> {
  await trx
    .insertInto('audit_events')
    .values({
      id: uuidv7(),
      type: entry.type,
      account_id: entry.accountId ?? null,
      actor_id: entry.actorId ?? null,
      session_id: entry.sessionId ?? null,
      ip: entry.meta.ip,
      user_agent: entry.meta.userAgent,
      request_id: entry.meta.requestId,
      details: entry.details ?? {},
      occurred_at: entry.at,
    })
    .execute();
}
