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
