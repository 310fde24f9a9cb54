import { FailedPreconditionError, InvalidArgumentError } from '@kith/errors';
import type { AuthApp } from '../app.js';
import { audit } from '../audit/audit-store.js';
import type { Account } from '../db/schema.js';
import type { RequestMeta } from '@kith/runtime';
import { signedInAttempt } from '../throttle.js';

/**
 * Re-authentication by the current password for a signed-in change (ChangePassword,
 * ChangeEmail, EnrollTotp, CreateApiKey, a staff step-up): throttled and backed off like a login, failures audited. Returns whether the
 * stored hash should be refreshed with the current parameters.
 */
export async function confirmCurrentPassword(
  app: AuthApp,
  input: {
    account: Account;
    password: string;
    sessionId: string | null;
    meta: RequestMeta;
    now: Date;
    during: 'change_password' | 'change_email' | 'enroll_totp' | 'create_api_key' | 'staff_step_up';
    /** Where a wrong password is reported (default `current_password`). */
    field?: string;
  },
): Promise<{ needsRehash: boolean }> {
  const { account, meta, now } = input;
  // Per (account, session): a thief's failures on another session never reach the owner's.
  const attempt = signedInAttempt(meta, `uid:${account.id}`, {
    sessionId: input.sessionId ?? undefined,
  });
  await app.throttle.beforePasswordCheck(attempt);
  if (account.password_hash === null) {
    throw new FailedPreconditionError(
      'this account has no password; set one with a password reset first',
    );
  }
  const result = await app.hasher.verify(account.password_hash, input.password);
  if (!result.ok) {
    await app.throttle.recordFailure(attempt);
    await app.database.transaction((trx) =>
      audit(trx, { accountId: account.id, sessionId: input.sessionId, meta, now }, 'login_failed', {
        reason: 'bad_password',
        during: input.during,
      }),
    );
    throw new InvalidArgumentError(
      [{ field: input.field ?? 'current_password', message: 'incorrect password' }],
      'incorrect password',
    );
  }
  await app.throttle.recordSuccess(attempt);
  return { needsRehash: result.needsRehash };
}
