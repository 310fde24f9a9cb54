import { isIP } from 'node:net';
import type { Kysely } from 'kysely';
import type { AuthApp } from '../app.js';
import { audit } from '../audit/audit-store.js';
import { maskEmail } from '../credentials/index.js';
import type { Account, AuthDatabase } from '../db/schema.js';
import { challengeMessage, createChallenge, generateEmailCode } from '../mfa/challenges.js';
import type { ChallengeMethod, MfaChallengeInit } from '../mfa/challenges.js';
import type { RequestMeta } from '@kith/runtime';
import { hasEverSignedIn } from '../sessions/session-store.js';
import type { Device, TokenPairInit } from '../sessions/sessions.js';

export type PrimaryAuthMethod = 'password' | 'oidc';

export type PrimaryAuthResult = { tokens: TokenPairInit } | { mfaChallenge: MfaChallengeInit };

/** Why a login needs a mailed code: a device never seen on this account, or a long absence. */
export type SuspicionReason = 'new_device' | 'inactivity';

/**
 * A password login is suspicious when the account has signed in before but the client presents
 * no device credential of this account (a new device: headers such as the user agent prove
 * nothing, anyone can copy them), or when it has not signed in for `inactivityMs`. The first
 * login after sign-up is neither.
 */
export async function suspiciousLoginReason(
  trx: Kysely<AuthDatabase>,
  account: Pick<Account, 'id' | 'last_login_at'>,
  knownDevice: boolean,
  now: Date,
  inactivityMs: number,
): Promise<SuspicionReason | null> {
  if (
    account.last_login_at !== null &&
    now.getTime() - account.last_login_at.getTime() > inactivityMs
  ) {
    return 'inactivity';
  }
  if (knownDevice) return null;
  return (await hasEverSignedIn(trx, account.id)) ? 'new_device' : null;
}

/**
 * What follows a proven first factor (password or OIDC), for Login and FinishOAuthLogin alike:
 * a TOTP challenge when the account has TOTP, a mailed-code challenge when a password login
 * looks suspicious, otherwise a new session. The caller has already refused disabled accounts.
 *
 * Only password logins are checked for suspicion: an OIDC login was just vouched for by the
 * provider, whose own checks (and mailbox) are the ones a mailed code would repeat.
 */
export async function completePrimaryAuth(
  app: AuthApp,
  trx: Kysely<AuthDatabase>,
  account: Account,
  input: {
    device: Device;
    /** Whether the client presented a device credential of this account. */
    knownDevice: boolean;
    meta: RequestMeta;
    method: PrimaryAuthMethod;
    now: Date;
  },
): Promise<PrimaryAuthResult> {
  const { device, meta, method, now } = input;
  if (account.totp_enabled_at !== null) {
    const methods: ChallengeMethod[] = ['totp', 'recovery_code'];
    const challenge = await createChallenge(trx, {
      accountId: account.id,
      methods,
      device,
      now,
      ttlMs: app.config.mfaChallengeTtlMs,
    });
    await auditChallenge(trx, account.id, meta, now, { method, methods, reason: 'totp' });
    return { mfaChallenge: challengeMessage({ ...challenge, methods }) };
  }

  const reason =
    method === 'password'
      ? await suspiciousLoginReason(trx, account, input.knownDevice, now, app.config.inactivityMs)
      : null;
  if (reason !== null) {
    const methods: ChallengeMethod[] = ['email_code'];
    const code = generateEmailCode();
    const challenge = await createChallenge(trx, {
      accountId: account.id,
      methods,
      emailCode: code,
      device,
      now,
      ttlMs: Math.min(app.config.mfaChallengeTtlMs, app.config.emailCodeTtlMs),
    });
    await app.queueMail(trx, loginCodeMail(account.email, code, device, app.config.emailCodeTtlMs));
    await auditChallenge(trx, account.id, meta, now, { method, methods, reason });
    return {
      mfaChallenge: challengeMessage({
        ...challenge,
        methods,
        emailHint: maskEmail(account.email),
      }),
    };
  }

  return { tokens: await app.sessions.start(trx, account, device, now) };
}

async function auditChallenge(
  trx: Kysely<AuthDatabase>,
  accountId: string,
  meta: RequestMeta,
  now: Date,
  details: { method: PrimaryAuthMethod; methods: ChallengeMethod[]; reason: string },
): Promise<void> {
  await audit(trx, { accountId, meta, now }, 'login_challenged', {
    method: details.method,
    methods: details.methods.join(','),
    reason: details.reason,
  });
}

function loginCodeMail(to: string, code: string, device: Device, ttlMs: number) {
  const minutes = Math.round(ttlMs / 60_000);
  // Only the address, and only when it is one: the user agent and device label are typed by
  // whoever holds the password and must not put their words into a mail from us.
  const from = isIP(device.ip) ? ` Sign-in from ${device.ip}.` : '';
  return {
    to,
    subject: 'Your Kith sign-in code',
    text: [
      'Someone signed in to your Kith account with your password from a new device or after a',
      'long time away. To finish signing in, enter this code:',
      '',
      `    ${code}`,
      '',
      `It expires in ${minutes} minutes.${from}`,
      '',
      "If this wasn't you, change your password now: whoever it was knows it.",
    ].join('\n'),
  };
}
