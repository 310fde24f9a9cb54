import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import {
  deviceClient,
  rejectsWith,
  signIn,
  signInWithMailedCode,
  signedInClient,
  startAuthHarness,
  violations,
} from '../testing/index.js';
import type { AuthHarness } from '../testing/index.js';

const NEW_PASSWORD = 'seven quiet mountain rivers';

describe('ChangePassword', () => {
  let h: AuthHarness;
  beforeAll(async () => {
    h = await startAuthHarness();
  });
  afterAll(() => h.stop());

  test('returns working tokens for this session; the old ones stop working', async () => {
    const user = await h.signUp();
    h.clock.advance(1000);
    const { tokens } = await signedInClient(h, user.accessToken).changePassword({
      currentPassword: user.password,
      newPassword: NEW_PASSWORD,
    });
    assert.ok(tokens);
    assert.equal(tokens.sessionId, user.sessionId);
    assert.equal(tokens.userId, user.userId);

    const { account } = await signedInClient(h, tokens.accessToken).getAccount({});
    assert.equal(account?.userId, user.userId);
    await rejectsWith(signedInClient(h, user.accessToken).getAccount({}), Code.Unauthenticated);
    await rejectsWith(
      deviceClient(h).refresh({ refreshToken: user.refreshToken }),
      Code.Unauthenticated,
    );
    const refreshed = await deviceClient(h).refresh({ refreshToken: tokens.refreshToken });
    assert.equal(refreshed.tokens?.sessionId, user.sessionId);

    await rejectsWith(
      deviceClient(h).login({ identifier: user.email, password: user.password }),
      Code.Unauthenticated,
    );
    assert.equal((await h.lastMailTo(user.email)).subject, 'Your password was changed');
    // No device stays known after a password change: even the owner's asks for a mailed code.
    await signInWithMailedCode(h, deviceClient(h), { ...user, password: NEW_PASSWORD });
  });

  test('every other session ends by default; only the calling session carries on', async () => {
    const user = await h.signUp();
    const other = await signIn(deviceClient(h), user);
    h.clock.advance(1000);
    // The deprecated opt-in, left false as old clients send it, keeps nothing alive.
    await signedInClient(h, user.accessToken).changePassword({
      currentPassword: user.password,
      newPassword: NEW_PASSWORD,
      revokeOtherSessions: false,
    });
    await rejectsWith(signedInClient(h, other.accessToken).getAccount({}), Code.Unauthenticated);
    await rejectsWith(
      deviceClient(h).refresh({ refreshToken: other.refreshToken }),
      Code.Unauthenticated,
    );
    const live = await h.app.database.db
      .selectFrom('sessions')
      .select('id')
      .where('account_id', '=', user.userId)
      .where('revoked_at', 'is', null)
      .execute();
    assert.deepEqual(
      live.map((s) => s.id),
      [user.sessionId],
    );
  });

  test('a wrong current password is refused on current_password and changes nothing', async () => {
    const user = await h.signUp();
    const err = await rejectsWith(
      signedInClient(h, user.accessToken).changePassword({
        currentPassword: 'not my password at all',
        newPassword: NEW_PASSWORD,
      }),
      Code.InvalidArgument,
    );
    assert.deepEqual(violations(err), [
      { field: 'current_password', message: 'incorrect password' },
    ]);
    await signedInClient(h, user.accessToken).getAccount({});
    await signIn(deviceClient(h), user);
  });

  test('a weak new password is refused on new_password', async () => {
    const user = await h.signUp();
    const err = await rejectsWith(
      signedInClient(h, user.accessToken).changePassword({
        currentPassword: user.password,
        newPassword: 'qwertyuiop',
      }),
      Code.InvalidArgument,
    );
    assert.deepEqual(
      violations(err).map((v) => v.field),
      ['new_password'],
    );
  });

  test('an account without a password cannot change it', async () => {
    const user = await h.signUp();
    await h.app.database.db
      .updateTable('accounts')
      .set({ password_hash: null })
      .where('id', '=', user.userId)
      .execute();
    await rejectsWith(
      signedInClient(h, user.accessToken).changePassword({
        currentPassword: user.password,
        newPassword: NEW_PASSWORD,
      }),
      Code.FailedPrecondition,
    );
  });

  test('requires a signed-in caller', async () => {
    await rejectsWith(
      deviceClient(h).changePassword({ currentPassword: 'whatever', newPassword: NEW_PASSWORD }),
      Code.Unauthenticated,
    );
  });
});
