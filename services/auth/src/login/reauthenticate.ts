import { FailedPreconditionError, InvalidArgumentError, UnauthenticatedError } from '@kith/errors';
import { updateAccount } from '../accounts/account-store.js';
import type { SignedInCaller } from '@kith/runtime';
import type { AuthApp } from '../app.js';
import { audit } from '../audit/audit-store.js';
import { loadCallerAccount } from '../accounts/caller-account.js';
import type { Account } from '../db/schema.js';
import { useTotpCode } from '../mfa/factors.js';
import type { TokenPairInit } from '../sessions/sessions.js';
import { signedInAttempt } from '../throttle.js';

export type ReauthFactor =
  { case: 'password'; value: string } | { case: 'totpCode'; value: string };

const FIELD = { password: 'password', totpCode: 'totp_code' } as const;

type Outcome = { ok: true; tokens: TokenPairInit } | { ok: false };

/**
 * Proves the user is still at the keyboard: the password, or a TOTP code for an account that has
 * no password (OIDC only). Moves the session's `auth_time` to now (what requireRecentAuth reads)
 * and returns a fresh pair for the same session whose access token carries it.
 */
export async function reauthenticate(
  app: AuthApp,
  caller: SignedInCaller,
  offered: ReauthFactor | { case: undefined },
): Promise<{ tokens: TokenPairInit; until: Date }> {
  const { principal, meta, now } = caller;
  if (offered.case === undefined) {
    throw new InvalidArgumentError([
      { field: 'factor', message: 'a password or code is required' },
    ]);
  }
  const factor: ReauthFactor = offered;
  const sessionId = principal.sessionId;
  if (sessionId === undefined) throw new UnauthenticatedError();
  // Shared with the other current-password checks (ChangePassword, ChangeEmail) of this session.
  const attempt = signedInAttempt(meta, `uid:${principal.userId}`, principal);
  await app.throttle.beforePasswordCheck(attempt);
  const account = await loadCallerAccount(app.database.db, principal.userId, now);
  const field = FIELD[factor.case];
  if (factor.case === 'totpCode') {
    if (account.password_hash !== null) {
      throw new InvalidArgumentError([
        { field, message: 'this account has a password: reauthenticate with it' },
      ]);
    }
    if (account.totp_enabled_at === null) {
      throw new FailedPreconditionError('no password or TOTP to reauthenticate with');
    }
  }
  // The password is checked outside the transaction: argon2 must not hold the database session.
  const password =
    factor.case === 'password' ? await checkPassword(app, account, factor.value) : null;

  const outcome = await app.database.transaction(async (trx): Promise<Outcome> => {
    const proven =
      password !== null
        ? password.ok
        : await useTotpCode(
            trx,
            app.box,
            await loadCallerAccount(trx, account.id, now, { forUpdate: true }),
            factor.value,
            now,
          );
    if (!proven) {
      await audit(
        trx,
        { accountId: account.id, sessionId, meta, now },
        factor.case === 'password' ? 'login_failed' : 'mfa_failed',
        {
          during: 'reauthenticate',
          reason: factor.case === 'password' ? 'bad_password' : 'bad_totp_code',
        },
      );
      return { ok: false };
    }
    if (password?.rehashed) {
      await updateAccount(trx, account.id, { password_hash: password.rehashed, updated_at: now });
    }
    const tokens = await app.sessions.restartAuth(trx, account, sessionId, now);
    await audit(trx, { accountId: account.id, sessionId, meta, now }, 'reauthenticated', {
      factor: field,
    });
    return { ok: true, tokens };
  });
  if (!outcome.ok) {
    await app.throttle.recordFailure(attempt);
    const message = factor.case === 'password' ? 'incorrect password' : 'invalid code';
    throw new InvalidArgumentError([{ field, message }], message);
  }
  await app.throttle.recordSuccess(attempt);
  return { tokens: outcome.tokens, until: new Date(now.getTime() + app.config.reauthWindowMs) };
}

async function checkPassword(
  app: AuthApp,
  account: Account,
  password: string,
): Promise<{ ok: boolean; rehashed: string | null }> {
  if (account.password_hash === null) {
    await app.hasher.verifyDummy(password);
    return { ok: false, rehashed: null };
  }
  const result = await app.hasher.verify(account.password_hash, password);
  const rehashed = result.ok && result.needsRehash ? await app.hasher.hash(password) : null;
  return { ok: result.ok, rehashed };
}
