import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import {
  deviceClient,
  freshIp,
  rejectsWith,
  signIn,
  signInWithMailedCode,
  signedInClient,
  startAuthHarness,
  violations,
} from '../testing/index.js';
import type { AuthHarness } from '../testing/index.js';
import { registerUser } from './test-support.js';

const NEW_PASSWORD = 'a brand new harbour light';

describe('RequestPasswordReset and ResetPassword', () => {
  let h: AuthHarness;
  beforeAll(async () => {
    h = await startAuthHarness();
  });
  afterAll(() => h.stop());

  async function resetLink(email: string): Promise<string> {
    await deviceClient(h).requestPasswordReset({ email });
    const mail = await h.lastMailTo(email);
    assert.equal(mail.subject, 'Reset your password');
    assert.ok(
      mail.link?.startsWith('http://app.kith.test/reset-password?token=kith_pr_'),
      mail.link,
    );
    return mail.token!;
  }

  async function rawRequestReset(email: string) {
    const response = await fetch(`${h.url}/kith.auth.v1.AuthService/RequestPasswordReset`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': freshIp() },
      body: JSON.stringify({ email }),
    });
    return { status: response.status, body: await response.text() };
  }

  test('a reset ends every session: old access and refresh tokens stop working', async () => {
    const user = await h.signUp();
    const second = await signIn(deviceClient(h), user);
    h.clock.advance(1000);
    const token = await resetLink(user.email);
    await deviceClient(h).resetPassword({ token, newPassword: NEW_PASSWORD });

    for (const session of [user, second]) {
      await rejectsWith(
        signedInClient(h, session.accessToken).getAccount({}),
        Code.Unauthenticated,
      );
      await rejectsWith(
        deviceClient(h).refresh({ refreshToken: session.refreshToken }),
        Code.Unauthenticated,
      );
    }
    const sessions = await h.app.database.db
      .selectFrom('sessions')
      .select('revoked_reason')
      .where('account_id', '=', user.userId)
      .execute();
    assert.deepEqual(
      sessions.map((s) => s.revoked_reason),
      ['password_reset', 'password_reset'],
    );

    await rejectsWith(
      deviceClient(h).login({ identifier: user.email, password: user.password }),
      Code.Unauthenticated,
    );
    const notice = await h.lastMailTo(user.email);
    assert.equal(notice.subject, 'Your password was changed');
    // No device stays known after a reset: the next login asks for a mailed code.
    const fresh = await signInWithMailedCode(h, deviceClient(h), {
      ...user,
      password: NEW_PASSWORD,
    });
    const { account } = await signedInClient(h, fresh.accessToken).getAccount({});
    assert.equal(account?.userId, user.userId);
    const audit = await h.app.database.db
      .selectFrom('audit_events')
      .select('type')
      .where('account_id', '=', user.userId)
      .where('type', 'in', ['password_reset_requested', 'password_reset'])
      .execute();
    assert.deepEqual(audit.map((a) => a.type).sort(), [
      'password_reset',
      'password_reset_requested',
    ]);
  });

  test('a reset cancels an e-mail change started with the old password', async () => {
    // Whoever knew the old password asked to move the account to their own inbox…
    const user = await h.signUp();
    const attacker = `taker-${Date.now().toString(36)}@evil.example`;
    await signedInClient(h, user.accessToken).changeEmail({
      currentPassword: user.password,
      newEmail: attacker,
    });
    const changeLink = (await h.lastMailTo(attacker)).token!;
    // …then the owner takes the account back with a reset.
    h.clock.advance(1000);
    await deviceClient(h).resetPassword({
      token: await resetLink(user.email),
      newPassword: NEW_PASSWORD,
    });

    await rejectsWith(deviceClient(h).verifyEmail({ token: changeLink }), Code.InvalidArgument);
    const owner = await signInWithMailedCode(h, deviceClient(h), {
      ...user,
      password: NEW_PASSWORD,
    });
    const account = await signedInClient(h, owner.accessToken).getAccount({});
    assert.equal(account.account?.email, user.email);
    assert.equal(account.account?.pendingEmail, '');
  });

  test('a reset link works once, and using one retires the others', async () => {
    const user = await h.signUp();
    const first = await resetLink(user.email);
    const second = await resetLink(user.email);
    await deviceClient(h).resetPassword({ token: second, newPassword: NEW_PASSWORD });
    for (const token of [second, first]) {
      const err = await rejectsWith(
        deviceClient(h).resetPassword({ token, newPassword: 'yet another long phrase' }),
        Code.InvalidArgument,
      );
      assert.deepEqual(violations(err), [{ field: 'token', message: 'invalid or expired link' }]);
    }
  });

  test('a reset link expires after one hour', async () => {
    const user = await h.signUp();
    const token = await resetLink(user.email);
    h.clock.advance(3600_000);
    const err = await rejectsWith(
      deviceClient(h).resetPassword({ token, newPassword: NEW_PASSWORD }),
      Code.InvalidArgument,
    );
    assert.deepEqual(violations(err), [{ field: 'token', message: 'invalid or expired link' }]);
    await signIn(deviceClient(h), user);
  });

  test('a weak new password is refused and the link keeps working', async () => {
    const user = await h.signUp();
    const token = await resetLink(user.email);
    const err = await rejectsWith(
      deviceClient(h).resetPassword({ token, newPassword: 'iloveyou123' }),
      Code.InvalidArgument,
    );
    assert.deepEqual(
      violations(err).map((v) => v.field),
      ['new_password'],
    );
    await deviceClient(h).resetPassword({ token, newPassword: NEW_PASSWORD });
  });

  test('an unknown address gets the same answer and no mail', async () => {
    const user = await h.signUp();
    const before = (await h.mails()).length;
    const unknown = await rawRequestReset('no-such-person@example.com');
    assert.equal((await h.mails()).length, before, 'nothing sent for an unknown address');
    const known = await rawRequestReset(user.email);
    assert.deepEqual(unknown, known);
    assert.deepEqual(known, { status: 200, body: '{}' });
    assert.equal((await h.mails()).length, before + 1);
  });

  test('a reset proves control of the inbox: an unverified address becomes verified', async () => {
    const user = await registerUser(h);
    const token = await resetLink(user.email);
    await deviceClient(h).resetPassword({ token, newPassword: NEW_PASSWORD });
    const session = await signIn(deviceClient(h), { ...user, password: NEW_PASSWORD });
    const { account } = await signedInClient(h, session.accessToken).getAccount({});
    assert.equal(account?.emailVerified, true);
  });

  test('a disabled account gets no reset link', async () => {
    const user = await h.signUp();
    await h.app.database.db
      .updateTable('accounts')
      .set({ disabled_at: h.clock.now(), disabled_reason: 'test' })
      .where('id', '=', user.userId)
      .execute();
    const before = (await h.mails()).length;
    await deviceClient(h).requestPasswordReset({ email: user.email });
    assert.equal((await h.mails()).length, before);
  });
});
