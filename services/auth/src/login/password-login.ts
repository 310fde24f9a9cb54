import { FailedPreconditionError, PermissionDeniedError, UnauthenticatedError } from '@kith/errors';
import type { Kysely } from 'kysely';
import type { Caller } from '@kith/runtime';
import type { AuthApp } from '../app.js';
import { publishLoginSucceeded } from '../security-events.js';
import { audit } from '../audit/audit-store.js';
import type { PasswordHasher } from '../credentials/index.js';
import type { Account, AuthDatabase } from '../db/schema.js';
import {
  findAccountById,
  findAccountByLoginName,
  updateAccount,
} from '../accounts/account-store.js';
import { completePrimaryAuth } from './complete-login.js';
import type { MfaChallengeInit } from '../mfa/challenges.js';
import type { TokenPairInit } from '../sessions/sessions.js';
import { parseLoginIdentifier } from './identifier.js';
import { lockoutOf } from '../accounts/lockout.js';
import type { LoginIdentifier } from './identifier.js';
import { ipBlocked } from '../admin/admin-store.js';
import { deviceOrigin, keepDevice, recognizeDeviceFor } from '../devices/known-devices.js';
import type { CredentialAttempt } from '../throttle.js';

/** A login's outcome, with the device credential to keep when it ends in tokens. */
export type LoginResult =
  { tokens: TokenPairInit; deviceToken: string } | { mfaChallenge: MfaChallengeInit };

/**
 * The one answer for every way a password login can fail: unknown identifier, wrong password,
 * disabled account, account without a password. Same code, message and details, so a guesser
 * learns nothing about which it was (the reason is in the audit log only). A suspended or banned
 * account signs in, to a restricted session (TokenPair.restricted), once the password is proven.
 */
export const invalidCredentials = () => new UnauthenticatedError('invalid credentials');

type FailureReason = 'unknown_identifier' | 'bad_password' | 'no_password' | 'account_disabled';

type PasswordCheck =
  | { ok: true; account: Account; needsRehash: boolean }
  | { ok: false; account: Account | undefined; reason: FailureReason };

export async function findAccountByIdentifier(
  db: Kysely<AuthDatabase>,
  identifier: LoginIdentifier,
): Promise<Account | undefined> {
  const column = identifier.kind === 'email' ? 'email_canonical' : 'username_normalized';
  return findAccountByLoginName(db, column, identifier.canonical);
}

/**
 * Always spends one argon2 verification, whether or not there is a hash to check against; the
 * account's lockout is looked at only after the password matched.
 */
async function checkPassword(
  hasher: PasswordHasher,
  account: Account | undefined,
  password: string,
  now: Date,
): Promise<PasswordCheck> {
  if (!account || account.password_hash === null) {
    await hasher.verifyDummy(password);
    return { ok: false, account, reason: account ? 'no_password' : 'unknown_identifier' };
  }
  const result = await hasher.verify(account.password_hash, password);
  if (!result.ok) return { ok: false, account, reason: 'bad_password' };
  if (lockoutOf(account, now) === 'disabled') {
    return { ok: false, account, reason: 'account_disabled' };
  }
  return { ok: true, account, needsRehash: result.needsRehash };
}

/**
 * Login by e-mail or username and password. Throttles come first, then the IP block list, and
 * only then the lookup and the (real or dummy) hash; see docs on each step below.
 */
export async function passwordLogin(
  app: AuthApp,
  caller: Caller,
  input: { identifier: string; password: string; deviceLabel: string; deviceToken: string },
): Promise<LoginResult> {
  const { meta, now } = caller;
  const identifier = parseLoginIdentifier(input.identifier);
  // A device credential counts only for the account it was issued to; the lookup costs the
  // same whether or not the identifier names an account.
  const knownDevice = await recognizeDeviceFor(app.database.db, identifier, input.deviceToken);
  // Keyed on what was typed, never on whether it names an account.
  const attempt: CredentialAttempt = {
    ip: meta.ip,
    identifier: identifier.canonical,
    trustedOrigin: deviceOrigin(knownDevice),
  };
  await app.throttle.beforePasswordCheck(attempt);
  if (await ipBlocked(app.database.db, meta.ip, 'login', now)) {
    await app.database.transaction((trx) =>
      audit(trx, { meta, now }, 'blocked_by_policy', { action: 'login', policy: 'ip_block' }),
    );
    throw new PermissionDeniedError('signing in from this network is not allowed');
  }

  const account = await findAccountByIdentifier(app.database.db, identifier);
  const check = await checkPassword(app.hasher, account, input.password, now);
  if (!check.ok) {
    await app.throttle.recordFailure(attempt);
    await app.database.transaction((trx) =>
      audit(trx, { accountId: check.account?.id ?? null, meta, now }, 'login_failed', {
        reason: check.reason,
        identifier_kind: identifier.kind,
      }),
    );
    throw invalidCredentials();
  }
  if (check.account.email_verified_at === null) {
    // Only after the password is proven: to a guesser this answer never appears.
    await app.database.transaction((trx) =>
      audit(trx, { accountId: check.account.id, meta, now }, 'login_failed', {
        reason: 'email_unverified',
        identifier_kind: identifier.kind,
      }),
    );
    throw new FailedPreconditionError('verify your e-mail address first');
  }
  await app.throttle.recordSuccess(attempt);
  // Hashed before the transaction: argon2 must not hold the database session.
  const rehashed = check.needsRehash ? await app.hasher.hash(input.password) : null;
  const device = { ip: meta.ip, userAgent: meta.userAgent, deviceLabel: input.deviceLabel };

  return app.database.transaction(async (trx) => {
    const current = await findAccountById(trx, check.account.id, { forUpdate: true });
    // Erased or disabled between the check and now (a suspension or ban restricts the tokens).
    if (!current || lockoutOf(current, now) === 'disabled') throw invalidCredentials();
    if (rehashed !== null) {
      await updateAccount(trx, current.id, { password_hash: rehashed, updated_at: now });
    }
    const result = await completePrimaryAuth(app, trx, current, {
      device,
      knownDevice: knownDevice !== null,
      meta,
      method: 'password',
      now,
    });
    if (!('tokens' in result)) return result;
    await audit(
      trx,
      { accountId: current.id, sessionId: result.tokens.sessionId, meta, now },
      'login_succeeded',
      { method: 'password', identifier_kind: identifier.kind },
    );
    await publishLoginSucceeded(app, trx, {
      account: current,
      tokens: result.tokens,
      device,
      knownDevice: knownDevice !== null,
      via: { method: 'password' },
    });
    return {
      tokens: result.tokens,
      deviceToken: await keepDevice(trx, current.id, knownDevice, now),
    };
  });
}
