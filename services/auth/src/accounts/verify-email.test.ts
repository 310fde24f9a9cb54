import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import {
  deviceClient,
  freshIp,
  rejectsWith,
  signedInClient,
  startAuthHarness,
  startSession,
  violations,
} from '../testing/index.js';
import type { AuthHarness } from '../testing/index.js';
import { registerUser } from './test-support.js';

const DAY = 24 * 3600_000;
const INVALID_LINK = [{ field: 'token', message: 'invalid or expired link' }];

describe('VerifyEmail and ResendVerification', () => {
  let h: AuthHarness;
  beforeAll(async () => {
    h = await startAuthHarness();
  });
  afterAll(() => h.stop());

  const verifiedAt = async (email: string) =>
    (
      await h.app.database.db
        .selectFrom('accounts')
        .select('email_verified_at')
        .where('email', '=', email)
        .executeTakeFirstOrThrow()
    ).email_verified_at;

  const mailsTo = async (email: string) => (await h.mails()).filter((m) => m.to === email);

  /** The raw Connect answer (status, body) to an anonymous ResendVerification. */
  async function rawResend(email: string) {
    const response = await fetch(`${h.url}/kith.auth.v1.AuthService/ResendVerification`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': freshIp() },
      body: JSON.stringify({ email }),
    });
    return { status: response.status, body: await response.text() };
  }

  test('a verification link works once', async () => {
    const user = await registerUser(h);
    const { token } = await h.lastMailTo(user.email);
    assert.ok(token);
    await deviceClient(h).verifyEmail({ token });
    assert.equal((await verifiedAt(user.email))?.getTime(), h.clock.now().getTime());

    const err = await rejectsWith(deviceClient(h).verifyEmail({ token }), Code.InvalidArgument);
    assert.deepEqual(violations(err), INVALID_LINK);
    assert.equal(err.rawMessage, 'invalid or expired link');
  });

  test('a verification link expires after 24 hours, with the same answer as an unknown one', async () => {
    const user = await registerUser(h);
    const { token } = await h.lastMailTo(user.email);
    assert.ok(token);
    h.clock.advance(DAY);
    const expired = await rejectsWith(deviceClient(h).verifyEmail({ token }), Code.InvalidArgument);
    const unknown = await rejectsWith(
      deviceClient(h).verifyEmail({ token: `kith_ev_${'x'.repeat(43)}` }),
      Code.InvalidArgument,
    );
    assert.deepEqual(violations(expired), INVALID_LINK);
    assert.deepEqual(
      [expired.rawMessage, violations(expired)],
      [unknown.rawMessage, violations(unknown)],
    );
    assert.equal(await verifiedAt(user.email), null);
  });

  test('a link just inside 24 hours still works', async () => {
    const user = await registerUser(h);
    const { token } = await h.lastMailTo(user.email);
    assert.ok(token);
    h.clock.advance(DAY - 1);
    await deviceClient(h).verifyEmail({ token });
    assert.notEqual(await verifiedAt(user.email), null);
  });

  test('resending replaces the earlier link', async () => {
    const user = await registerUser(h);
    const first = (await h.lastMailTo(user.email)).token;
    assert.ok(first);
    // Typed differently from the sign-up; the mail still goes to the address on file.
    await deviceClient(h).resendVerification({ email: user.email.toUpperCase() });
    const second = await h.lastMailTo(user.email);
    assert.ok(second.token);
    assert.notEqual(second.token, first);
    assert.equal(second.subject, 'Confirm your e-mail address');

    const err = await rejectsWith(
      deviceClient(h).verifyEmail({ token: first }),
      Code.InvalidArgument,
    );
    assert.deepEqual(violations(err), INVALID_LINK);
    const verified = await deviceClient(h).verifyEmail({ token: second.token });
    assert.equal(verified.email, user.email);
  });

  test('resending to an unknown or an already verified address answers the same and sends nothing', async () => {
    const user = await h.signUp();
    const before = (await h.mails()).length;
    const unknown = await rawResend('nobody-here@example.com');
    const verified = await rawResend(user.email);
    assert.deepEqual(unknown, verified);
    assert.deepEqual(verified, { status: 200, body: '{}' });
    assert.equal((await h.mails()).length, before);
  });

  test('a signed-in resend goes to the account’s own address, whatever was typed', async () => {
    const user = await registerUser(h);
    // An unverified account cannot log in; a session is opened directly for this case.
    const account = await h.app.database.db
      .selectFrom('accounts')
      .select('id')
      .where('email', '=', user.email)
      .executeTakeFirstOrThrow();
    const tokens = await startSession(h, { userId: account.id }, { ip: '', userAgent: '' });
    const before = await mailsTo(user.email);
    await signedInClient(h, tokens.accessToken).resendVerification({
      email: 'someone-else@example.com',
    });
    assert.equal((await mailsTo('someone-else@example.com')).length, 0);
    const after = await mailsTo(user.email);
    assert.equal(after.length, before.length + 1);
    assert.ok(after.at(-1)?.token);
  });

  test('anonymous resends are throttled per address', async () => {
    const user = await registerUser(h);
    // Registration sent one mail to the address; four more resends fit in the limit of five.
    for (let i = 0; i < 4; i++) await deviceClient(h).resendVerification({ email: user.email });
    await rejectsWith(
      deviceClient(h).resendVerification({ email: user.email }),
      Code.ResourceExhausted,
    );
  });
});
