import {
  AuthLoginMethod,
  AuthMfaChange,
  AuthPasswordChangeKind,
  AuthRevocationReason,
} from '@kith/gen/kith/events/v1/auth_events_pb.js';
import { MfaMethod } from '@kith/gen/kith/auth/v1/types_pb.js';
import type { Kysely } from 'kysely';
import type { AuthApp } from './app.js';
import { maskEmail } from './credentials/index.js';
import type { Account, AuthDatabase } from './db/schema.js';
import type { ChallengeMethod } from './mfa/challenges.js';
import type { Device, SessionRevokeReason, TokenPairInit } from './sessions/sessions.js';

// What the auth service tells the bus about security-relevant changes: the events the user
// service turns into SECURITY_ALERT notifications (a login from a new device, a password,
// e-mail or second-factor change) and counts active users from, and the reason enum of the
// revocation events. Each helper is called once, in the transaction that makes the change, so
// each event is published exactly once, and only if the change commits. No secrets: the
// client's address and user agent at most.

/** The bus form of why sessions ended or tokens were invalidated. */
export function revocationReason(
  reason: Exclude<SessionRevokeReason, 'account_erased'> | 'role_changed' | 'restriction_lifted',
): AuthRevocationReason {
  switch (reason) {
    case 'logout':
      return AuthRevocationReason.LOGOUT;
    case 'logout_all':
      return AuthRevocationReason.LOGOUT_ALL;
    case 'revoked_by_user':
      return AuthRevocationReason.REVOKED_BY_USER;
    case 'refresh_token_reuse':
      return AuthRevocationReason.REFRESH_TOKEN_REUSE;
    case 'password_changed':
      return AuthRevocationReason.PASSWORD_CHANGED;
    case 'password_reset':
      return AuthRevocationReason.PASSWORD_RESET;
    case 'email_changed':
      return AuthRevocationReason.EMAIL_CHANGED;
    case 'account_disabled':
      return AuthRevocationReason.ACCOUNT_DISABLED;
    case 'account_suspended':
      return AuthRevocationReason.ACCOUNT_SUSPENDED;
    case 'account_banned':
      return AuthRevocationReason.ACCOUNT_BANNED;
    case 'restriction_lifted':
      return AuthRevocationReason.RESTRICTION_LIFTED;
    case 'mfa_reset':
      return AuthRevocationReason.MFA_RESET;
    case 'role_changed':
      return AuthRevocationReason.ROLE_CHANGED;
  }
}

/** The requesting client as the alert shows it; a device label only where there is one. */
function clientInfo(from: { ip: string; userAgent: string; deviceLabel?: string }) {
  return { ipAddress: from.ip, userAgent: from.userAgent, deviceLabel: from.deviceLabel ?? '' };
}

const MFA_METHODS: Record<ChallengeMethod, MfaMethod> = {
  totp: MfaMethod.TOTP,
  recovery_code: MfaMethod.RECOVERY_CODE,
  email_code: MfaMethod.EMAIL_CODE,
};

/**
 * auth.login_succeeded, once per new session. `account` is the row as it was before the login
 * (`last_login_at` not yet moved): a device is new only on an account that signed in before.
 * An OIDC login without a second factor presents no device credential and is never "new".
 */
export async function publishLoginSucceeded(
  app: AuthApp,
  trx: Kysely<AuthDatabase>,
  input: {
    account: Pick<Account, 'id' | 'last_login_at'>;
    /** The new session's tokens. */
    tokens: TokenPairInit;
    device: Device;
    /** Whether the client presented a device credential of this account. */
    knownDevice: boolean;
    via:
      | { method: 'password' }
      | { method: 'oidc' }
      | { method: 'second_factor'; factor: ChallengeMethod };
  },
): Promise<void> {
  const { account, via } = input;
  const method =
    via.method === 'password'
      ? AuthLoginMethod.PASSWORD
      : via.method === 'oidc'
        ? AuthLoginMethod.OIDC
        : AuthLoginMethod.SECOND_FACTOR;
  await app.emit(trx, account.id, {
    case: 'authLoginSucceeded',
    value: {
      userId: account.id,
      sessionId: input.tokens.sessionId ?? '',
      method,
      mfaMethod: via.method === 'second_factor' ? MFA_METHODS[via.factor] : MfaMethod.UNSPECIFIED,
      newDevice: via.method !== 'oidc' && !input.knownDevice && account.last_login_at !== null,
      client: clientInfo(input.device),
    },
  });
}

/** auth.password_changed, after ChangePassword or ResetPassword. */
export async function publishPasswordChanged(
  app: AuthApp,
  trx: Kysely<AuthDatabase>,
  input: {
    accountId: string;
    kind: 'changed' | 'reset';
    from: { ip: string; userAgent: string };
    revokedSessions: number;
    revokedApiKeys: number;
  },
): Promise<void> {
  await app.emit(trx, input.accountId, {
    case: 'authPasswordChanged',
    value: {
      userId: input.accountId,
      kind:
        input.kind === 'changed' ? AuthPasswordChangeKind.CHANGED : AuthPasswordChangeKind.RESET,
      client: clientInfo(input.from),
      sessionsRevoked: input.revokedSessions,
      apiKeysRevoked: input.revokedApiKeys,
    },
  });
}

/** auth.email_changed, when the new address is verified and becomes the account's. */
export async function publishEmailChanged(
  app: AuthApp,
  trx: Kysely<AuthDatabase>,
  input: {
    accountId: string;
    oldEmail: string;
    newEmail: string;
    from: { ip: string; userAgent: string };
  },
): Promise<void> {
  await app.emit(trx, input.accountId, {
    case: 'authEmailChanged',
    value: {
      userId: input.accountId,
      oldEmailHint: maskEmail(input.oldEmail),
      newEmailHint: maskEmail(input.newEmail),
      email: input.newEmail,
      client: clientInfo(input.from),
    },
  });
}

const MFA_CHANGES = {
  totp_enabled: AuthMfaChange.TOTP_ENABLED,
  totp_disabled: AuthMfaChange.TOTP_DISABLED,
  recovery_codes_regenerated: AuthMfaChange.RECOVERY_CODES_REGENERATED,
  reset_by_staff: AuthMfaChange.RESET_BY_STAFF,
} as const;

/**
 * auth.mfa_changed. `from` is the owner's client; a staff reset has none (the staff member is
 * the envelope's actor and is in the audit log).
 */
export async function publishMfaChanged(
  app: AuthApp,
  trx: Kysely<AuthDatabase>,
  input: {
    accountId: string;
    change: keyof typeof MFA_CHANGES;
    from?: { ip: string; userAgent: string };
    staffId?: string;
  },
): Promise<void> {
  await app.emit(trx, input.staffId ?? input.accountId, {
    case: 'authMfaChanged',
    value: {
      userId: input.accountId,
      change: MFA_CHANGES[input.change],
      client: input.from ? clientInfo(input.from) : undefined,
    },
  });
}

const DAY_MS = 24 * 60 * 60_000;

/**
 * auth.user_active, on a Refresh: only when the session was last used on an earlier UTC day,
 * so at most once per session and day (a login publishes auth.login_succeeded instead).
 */
export async function publishUserActive(
  app: AuthApp,
  trx: Kysely<AuthDatabase>,
  session: { id: string; account_id: string; last_used_at: Date },
  now: Date,
): Promise<void> {
  if (Math.floor(session.last_used_at.getTime() / DAY_MS) >= Math.floor(now.getTime() / DAY_MS)) {
    return;
  }
  await app.emit(trx, session.account_id, {
    case: 'authUserActive',
    value: { userId: session.account_id, sessionId: session.id },
  });
}
