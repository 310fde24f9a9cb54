import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import { ApiKeyScope } from '@kith/gen/kith/auth/v1/types_pb.js';
import { totpAt } from '../mfa/totp.js';
import {
  auditTrail,
  deviceClient,
  enableTotp,
  introspectApiKey,
  outboxPayloads,
  rejectsWith,
  signedInClient,
  startAuthHarness,
} from '../testing/index.js';
import type { AuthHarness } from '../testing/index.js';

let counter = 0;
const intruderAddress = () =>
  `intruder${Date.now().toString(36)}${(counter++).toString(36)}@example.org`;

/**
 * Issue 6, rows 1 and 4: what an intruder who knew the password may have started (an e-mail
 * change to their inbox, an API key, a reset link) must not outlive the owner's remediation.
 */
describe('credential changes end what an intruder started', () => {
  let h: AuthHarness;
  beforeAll(async () => {
    h = await startAuthHarness();
  });
  afterAll(() => h.stop());

  /** An owner, and an e-mail change to the intruder's inbox started with the owner's password. */
  async function hijacked() {
    const user = await h.signUp();
    const target = intruderAddress();
    await signedInClient(h, user.accessToken).changeEmail({
      currentPassword: user.password,
      newEmail: target,
    });
    const confirm = (await h.lastMailTo(target)).token!;
    const cancel = (await h.lastMailTo(user.email)).token!;
    return { user, target, confirm, cancel };
  }

  async function pendingEmail(userId: string) {
    const row = await h.app.database.db
      .selectFrom('accounts')
      .select(['email', 'pending_email'])
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    return row;
  }

  test('after ChangePassword the intruder’s confirmation link no longer moves the address', async () => {
    const { user, confirm } = await hijacked();
    h.clock.advance(1000);
    await signedInClient(h, user.accessToken).changePassword({
      currentPassword: user.password,
      newPassword: 'an entirely fresh passphrase here',
    });
    await rejectsWith(deviceClient(h).verifyEmail({ token: confirm }), Code.InvalidArgument);
    assert.deepEqual(await pendingEmail(user.userId), {
      email: user.email,
      pending_email: null,
    });
  });

  test('after LogoutAll (even keeping this session) the confirmation link is dead', async () => {
    const { user, confirm } = await hijacked();
    await signedInClient(h, user.accessToken).logoutAll({ keepCurrentSession: true });
    await rejectsWith(deviceClient(h).verifyEmail({ token: confirm }), Code.InvalidArgument);
    assert.equal((await pendingEmail(user.userId)).pending_email, null);
  });

  test('turning TOTP on drops a pending e-mail change', async () => {
    const { user, confirm } = await hijacked();
    const client = signedInClient(h, user.accessToken);
    const { secret } = await client.enrollTotp({ currentPassword: user.password });
    await client.confirmTotp({ totpCode: totpAt(secret, h.clock.now()) });
    await rejectsWith(deviceClient(h).verifyEmail({ token: confirm }), Code.InvalidArgument);
    assert.equal((await pendingEmail(user.userId)).pending_email, null);
  });

  test('turning TOTP off drops a pending e-mail change', async () => {
    const user = await h.signUp();
    const client = signedInClient(h, user.accessToken);
    const { secret } = await enableTotp(h, client, user.password);
    const target = intruderAddress();
    await client.changeEmail({ currentPassword: user.password, newEmail: target });
    const confirm = (await h.lastMailTo(target)).token!;
    await client.disableTotp({
      factor: { case: 'totpCode', value: totpAt(secret, h.clock.now()) },
    });
    await rejectsWith(deviceClient(h).verifyEmail({ token: confirm }), Code.InvalidArgument);
    assert.equal((await pendingEmail(user.userId)).pending_email, null);
  });

  test('a reset link requested before ChangePassword does not work after it', async () => {
    const user = await h.signUp();
    await deviceClient(h).requestPasswordReset({ email: user.email });
    const reset = (await h.lastMailTo(user.email)).token!;
    h.clock.advance(1000);
    await signedInClient(h, user.accessToken).changePassword({
      currentPassword: user.password,
      newPassword: 'an entirely fresh passphrase here',
    });
    await rejectsWith(
      deviceClient(h).resetPassword({ token: reset, newPassword: 'the intruder takes over now' }),
      Code.InvalidArgument,
    );
  });

  test('CancelEmailChange, signed in, drops the change and its confirmation link', async () => {
    const { user, confirm } = await hijacked();
    await signedInClient(h, user.accessToken).cancelEmailChange({});
    await rejectsWith(deviceClient(h).verifyEmail({ token: confirm }), Code.InvalidArgument);
    const { account } = await signedInClient(h, user.accessToken).getAccount({});
    assert.equal(account?.pendingEmail, '');
    const types = (await auditTrail(h, user.userId)).map((e) => e.type);
    assert.equal(types.at(-1), 'email_change_cancelled');
    // Nothing pending: the same empty answer, nothing recorded.
    await signedInClient(h, user.accessToken).cancelEmailChange({});
    assert.equal((await auditTrail(h, user.userId)).length, types.length);
  });

  test('the cancel link mailed to the old address works without signing in, once', async () => {
    const { user, confirm, cancel } = await hijacked();
    assert.ok(cancel.startsWith('kith_ec_'));
    await deviceClient(h).cancelEmailChange({ token: cancel });
    await rejectsWith(deviceClient(h).verifyEmail({ token: confirm }), Code.InvalidArgument);
    assert.equal((await pendingEmail(user.userId)).pending_email, null);
    await rejectsWith(deviceClient(h).cancelEmailChange({ token: cancel }), Code.InvalidArgument);
    // Neither a token nor a sign-in: refused.
    await rejectsWith(deviceClient(h).cancelEmailChange({}), Code.Unauthenticated);
  });

  async function keyOf(user: { accessToken: string; password: string }) {
    const created = await h.as(user.accessToken).auth.createApiKey({
      name: 'automation',
      scopes: [ApiKeyScope.POSTS_READ],
      proof: { case: 'currentPassword', value: user.password },
    });
    assert.ok(await introspectApiKey(h, created.secret));
    return created;
  }

  async function revokedEventFor(apiKeyId: string) {
    return (await outboxPayloads(h)).some(
      (p) => p.case === 'authApiKeyRevoked' && p.value.apiKeyId === apiKeyId,
    );
  }

  test('ChangePassword revokes every API key, with the revocation event', async () => {
    const user = await h.signUp();
    const { apiKey, secret } = await keyOf(user);
    h.clock.advance(1000);
    await signedInClient(h, user.accessToken).changePassword({
      currentPassword: user.password,
      newPassword: 'an entirely fresh passphrase here',
    });
    assert.equal(await introspectApiKey(h, secret), null);
    assert.ok(await revokedEventFor(apiKey!.apiKeyId));
  });

  test('ResetPassword revokes every API key', async () => {
    const user = await h.signUp();
    const { apiKey, secret } = await keyOf(user);
    await deviceClient(h).requestPasswordReset({ email: user.email });
    const reset = (await h.lastMailTo(user.email)).token!;
    h.clock.advance(1000);
    await deviceClient(h).resetPassword({ token: reset, newPassword: 'the owner takes it back' });
    assert.equal(await introspectApiKey(h, secret), null);
    assert.ok(await revokedEventFor(apiKey!.apiKeyId));
  });

  test('a completed e-mail change revokes every API key', async () => {
    const { user, confirm } = await hijacked();
    const { apiKey, secret } = await keyOf(user);
    h.clock.advance(1000);
    await deviceClient(h).verifyEmail({ token: confirm });
    assert.equal(await introspectApiKey(h, secret), null);
    assert.ok(await revokedEventFor(apiKey!.apiKeyId));
  });

  test('LogoutAll ends sessions but keeps API keys (ADR 0009)', async () => {
    const user = await h.signUp();
    const { secret } = await keyOf(user);
    await signedInClient(h, user.accessToken).logoutAll({});
    assert.ok(await introspectApiKey(h, secret));
  });
});
