import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Code } from '@connectrpc/connect';
import type { AuthHarness } from '../testing/harness.js';
import {
  freshIp,
  fromIp,
  login,
  registerUser,
  rejectsWith,
  signedIn,
  startAccountsHarness,
  verifiedUser,
  violations,
} from './test-support.js';

const NEW_PASSWORD = 'a brand new harbour light';

describe('RequestPasswordReset and ResetPassword', () => {
  let h: AuthHarness;
  before(async () => {
    h = await startAccountsHarness();
  });
  after(() => h.stop());

  async function resetLink(email: string): Promise<string> {
    await fromIp(h).requestPasswordReset({ email });
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
    const user = await verifiedUser(h);
    const second = await login(h, user.email, user.password);
    h.clock.advance(1000);
    const token = await resetLink(user.email);
    await fromIp(h).resetPassword({ token, newPassword: NEW_PASSWORD });

    for (const session of [user, second]) {
      await rejectsWith(signedIn(h, session.accessToken).getAccount({}), Code.Unauthenticated);
      await rejectsWith(
        fromIp(h).refresh({ refreshToken: session.refreshToken }),
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
      fromIp(h).login({ identifier: user.email, password: user.password }),
      Code.Unauthenticated,
    );
    const fresh = await login(h, user.email, NEW_PASSWORD);
    const { account } = await signedIn(h, fresh.accessToken).getAccount({});
    assert.equal(account?.userId, user.userId);

    const notice = await h.lastMailTo(user.email);
    assert.equal(notice.subject, 'Your password was changed');
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

  test('a reset link works once, and using one retires the others', async () => {
    const user = await verifiedUser(h);
    const first = await resetLink(user.email);
    const second = await resetLink(user.email);
    await fromIp(h).resetPassword({ token: second, newPassword: NEW_PASSWORD });
    for (const token of [second, first]) {
      const err = await rejectsWith(
        fromIp(h).resetPassword({ token, newPassword: 'yet another long phrase' }),
        Code.InvalidArgument,
      );
      assert.deepEqual(violations(err), [{ field: 'token', message: 'invalid or expired link' }]);
    }
  });

  test('a reset link expires after one hour', async () => {
    const user = await verifiedUser(h);
    const token = await resetLink(user.email);
    h.clock.advance(3600_000);
    const err = await rejectsWith(
      fromIp(h).resetPassword({ token, newPassword: NEW_PASSWORD }),
      Code.InvalidArgument,
    );
    assert.deepEqual(violations(err), [{ field: 'token', message: 'invalid or expired link' }]);
    await login(h, user.email, user.password);
  });

  test('a weak new password is refused and the link keeps working', async () => {
    const user = await verifiedUser(h);
    const token = await resetLink(user.email);
    const err = await rejectsWith(
      fromIp(h).resetPassword({ token, newPassword: 'iloveyou123' }),
      Code.InvalidArgument,
    );
    assert.deepEqual(
      violations(err).map((v) => v.field),
      ['new_password'],
    );
    await fromIp(h).resetPassword({ token, newPassword: NEW_PASSWORD });
  });

  test('an unknown address gets the same answer and no mail', async () => {
    const user = await verifiedUser(h);
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
    await fromIp(h).resetPassword({ token, newPassword: NEW_PASSWORD });
    const session = await login(h, user.email, NEW_PASSWORD);
    const { account } = await signedIn(h, session.accessToken).getAccount({});
    assert.equal(account?.emailVerified, true);
  });

  test('a disabled account gets no reset link', async () => {
    const user = await verifiedUser(h);
    await h.app.database.db
      .updateTable('accounts')
      .set({ disabled_at: h.clock.now(), disabled_reason: 'test' })
      .where('id', '=', user.userId)
      .execute();
    const before = (await h.mails()).length;
    await fromIp(h).requestPasswordReset({ email: user.email });
    assert.equal((await h.mails()).length, before);
  });
});
