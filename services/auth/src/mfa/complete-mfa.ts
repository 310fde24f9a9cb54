import { InvalidArgumentError, UnauthenticatedError } from '@kith/errors';
import type { Kysely } from 'kysely';
import { findAccountById } from '../accounts/account-store.js';
import { lockoutOf } from '../accounts/lockout.js';
import type { Caller } from '@kith/runtime';
import { findChallengeAccount } from './mfa-store.js';
import type { AuthApp } from '../app.js';
import { publishLoginSucceeded } from '../security-events.js';
import { audit } from '../audit/audit-store.js';
import { sha256Hex } from '../crypto/secrets.js';
import type { Account, AuthDatabase } from '../db/schema.js';
import type { TokenPairInit } from '../sessions/sessions.js';
import { deviceOrigin, keepDevice, recognizeDevice } from '../devices/known-devices.js';
import type { CredentialAttempt } from '../throttle.js';
import { challengeDevice, claimChallengeAttempt, consumeChallenge } from './challenges.js';
import type { ChallengeMethod, MfaChallengeRow } from './challenges.js';
import { emailCodeMatches, useRecoveryCode, useTotpCode } from './factors.js';

export type ChallengeFactor =
  | { case: 'totpCode'; value: string }
  | { case: 'recoveryCode'; value: string }
  | { case: 'emailCode'; value: string };

const FACTOR: Record<ChallengeFactor['case'], { method: ChallengeMethod; field: string }> = {
  totpCode: { method: 'totp', field: 'totp_code' },
  recoveryCode: { method: 'recovery_code', field: 'recovery_code' },
  emailCode: { method: 'email_code', field: 'email_code' },
};

export const factorRequired = () =>
  new InvalidArgumentError([{ field: 'factor', message: 'a code is required' }]);

/** Unknown, expired, used up or burnt: one answer, and the client starts over with Login. */
const challengeExpired = () => new UnauthenticatedError('challenge expired');

type Outcome =
  | { kind: 'ok'; tokens: TokenPairInit; deviceToken: string }
  | { kind: 'failed'; message: string }
  | { kind: 'gone' };

/**
 * Answers a login challenge. Every call counts an attempt (committed on its own, so a wrong
 * answer still counts) and goes through the same throttle as a password, keyed on the account
 * and the device (a known one) or network. Success returns the device credential to keep.
 */
export async function completeMfa(
  app: AuthApp,
  caller: Caller,
  offered: {
    challengeToken: string;
    factor: ChallengeFactor | { case: undefined };
    deviceToken: string;
  },
): Promise<{ tokens: TokenPairInit; deviceToken: string }> {
  const { meta, now } = caller;
  const factor = offered.factor;
  // protovalidate already requires the oneof; this keeps the types honest.
  if (factor.case === undefined) throw factorRequired();
  const input = { ...offered, factor };
  const known = await findChallengeAccount(app.database.db, sha256Hex(input.challengeToken));
  if (!known) throw challengeExpired();
  const knownDevice = await recognizeDevice(app.database.db, known.account_id, input.deviceToken);
  const attempt: CredentialAttempt = {
    ip: meta.ip,
    identifier: `mfa:${known.account_id}`,
    trustedOrigin: deviceOrigin(knownDevice),
  };
  await app.throttle.beforePasswordCheck(attempt);
  const challenge = await app.database.transaction((trx) =>
    claimChallengeAttempt(trx, input.challengeToken, now),
  );
  if (!challenge) throw challengeExpired();

  const { method, field } = FACTOR[input.factor.case];
  const outcome = await app.database.transaction(async (trx): Promise<Outcome> => {
    const account = await findAccountById(trx, challenge.account_id, { forUpdate: true });
    // Disabled since the challenge was issued: as if it had expired. (A suspension or ban since
    // then restricts the session instead.)
    if (!account || lockoutOf(account, now) === 'disabled') return { kind: 'gone' };
    const offered = challenge.methods.includes(method);
    if (!offered || !(await answerFactor(app, trx, account, challenge, input.factor, now))) {
      await audit(trx, { accountId: account.id, meta, now }, 'mfa_failed', {
        method,
        reason: offered ? 'invalid_code' : 'method_not_offered',
      });
      return {
        kind: 'failed',
        message: offered ? 'invalid code' : 'not accepted for this challenge',
      };
    }
    if (!(await consumeChallenge(trx, challenge.id, now))) return { kind: 'gone' };
    const tokens = await app.sessions.start(trx, account, challengeDevice(challenge), now);
    await audit(
      trx,
      { accountId: account.id, sessionId: tokens.sessionId, meta, now },
      'mfa_succeeded',
      { method },
    );
    await publishLoginSucceeded(app, trx, {
      account,
      tokens,
      device: challengeDevice(challenge),
      knownDevice: knownDevice !== null,
      via: { method: 'second_factor', factor: method },
    });
    return { kind: 'ok', tokens, deviceToken: await keepDevice(trx, account.id, knownDevice, now) };
  });

  if (outcome.kind === 'gone') throw challengeExpired();
  if (outcome.kind === 'failed') {
    await app.throttle.recordFailure(attempt);
    throw new InvalidArgumentError([{ field, message: outcome.message }], 'invalid code');
  }
  await app.throttle.recordSuccess(attempt);
  return { tokens: outcome.tokens, deviceToken: outcome.deviceToken };
}

async function answerFactor(
  app: AuthApp,
  trx: Kysely<AuthDatabase>,
  account: Account,
  challenge: MfaChallengeRow,
  factor: ChallengeFactor,
  now: Date,
): Promise<boolean> {
  switch (factor.case) {
    case 'totpCode':
      return useTotpCode(trx, app.box, account, factor.value, now);
    case 'recoveryCode':
      return (
        account.totp_enabled_at !== null &&
        useRecoveryCode(trx, app.recoveryCodeKey, account.id, factor.value, now)
      );
    case 'emailCode':
      return emailCodeMatches(challenge, factor.value, now, app.config.emailCodeTtlMs);
  }
}
