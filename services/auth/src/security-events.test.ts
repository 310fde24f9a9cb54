import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { Client } from '@connectrpc/connect';
import type { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import { MfaMethod, OidcIntent } from '@kith/gen/kith/auth/v1/types_pb.js';
import type { Envelope } from '@kith/gen/kith/events/v1/events_pb.js';
import {
  AuthLoginMethod,
  AuthMfaChange,
  AuthPasswordChangeKind,
  AuthRevocationReason,
} from '@kith/gen/kith/events/v1/auth_events_pb.js';
import { totpAt } from './mfa/totp.js';
import { startTestOidcProvider } from './oidc/test-provider.js';
import type { TestOidcAccount, TestOidcProvider } from './oidc/test-provider.js';
import {
  CONSENT,
  TEST_USER_AGENT,
  TOTP_STEP_MS,
  codeOf,
  deviceClient,
  freshIp,
  outboxPayloads,
  seedUser,
  signedInClient,
  startAuthHarness,
  startSession,
} from './testing/index.js';
import type { AuthHarness } from './testing/index.js';

// U-6 and X8: the events the user service builds SECURITY_ALERT notifications and activity
// figures from are published once per change, at the change, with what the alert needs and no
// secret; the revocation events carry their reason as an enum.

type Payload = Envelope['payload'];
type Case = NonNullable<Payload['case']>;
type Of<C extends Case> = Extract<Payload, { case: C }>['value'];

/** The payloads of one case about one account, oldest first. */
async function published<C extends Case>(
  h: AuthHarness,
  kind: C,
  userId: string,
): Promise<Of<C>[]> {
  const values: Of<C>[] = [];
  for (const p of await outboxPayloads(h)) {
    if (p.case !== kind) continue;
    const value = p.value as Of<C>;
    if ((value as { userId?: string }).userId === userId) values.push(value);
  }
  return values;
}

/** Moves the clock to 01:00 UTC of the next day. */
function nextUtcDay(h: AuthHarness) {
  const now = h.clock.now();
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1, 1);
  h.clock.set(new Date(next));
}

describe('security events', () => {
  let h: AuthHarness;
  beforeAll(async () => {
    h = await startAuthHarness();
  });
  afterAll(() => h.stop());

  test('a login from a known device: one auth.login_succeeded, not a new device', async () => {
    const user = await seedUser(h);
    const ip = freshIp();
    const response = await deviceClient(h, { ip }).login({
      identifier: user.email,
      password: user.password,
      deviceToken: user.deviceToken,
      deviceLabel: 'Work laptop',
    });
    assert.equal(response.result.case, 'tokens');
    const [login, ...more] = await published(h, 'authLoginSucceeded', user.userId);
    assert.deepEqual(more, []);
    assert.equal(login?.sessionId, response.result.value.sessionId);
    assert.equal(login?.method, AuthLoginMethod.PASSWORD);
    assert.equal(login?.mfaMethod, MfaMethod.UNSPECIFIED);
    assert.equal(login?.newDevice, false);
    assert.deepEqual(
      [login?.client?.ipAddress, login?.client?.userAgent, login?.client?.deviceLabel],
      [ip, TEST_USER_AGENT, 'Work laptop'],
    );
  });

  test('a login from a new device: nothing at the challenge, one new_device event at CompleteMfa', async () => {
    const user = await seedUser(h);
    const client = deviceClient(h, { ip: freshIp(), userAgent: 'Unknown/1.0' });
    const challenged = await client.login({ identifier: user.email, password: user.password });
    assert.equal(challenged.result.case, 'mfaChallenge');
    assert.deepEqual(await published(h, 'authLoginSucceeded', user.userId), []);

    const code = /^ {4}([A-Z0-9]{6})$/m.exec((await h.lastMailTo(user.email)).text)?.[1];
    const done = await client.completeMfa({
      challengeToken: challenged.result.value.challengeToken,
      factor: { case: 'emailCode', value: code! },
    });
    const events = await published(h, 'authLoginSucceeded', user.userId);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.sessionId, done.tokens!.sessionId);
    assert.equal(events[0]!.method, AuthLoginMethod.SECOND_FACTOR);
    assert.equal(events[0]!.mfaMethod, MfaMethod.EMAIL_CODE);
    assert.equal(events[0]!.newDevice, true);
    assert.equal(events[0]!.client?.userAgent, 'Unknown/1.0');
  });

  test('the first login after sign-up is not a new device', async () => {
    const user = await h.signUp();
    const events = await published(h, 'authLoginSucceeded', user.userId);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.sessionId, user.sessionId);
    assert.equal(events[0]!.newDevice, false);
  });

  test('a TOTP login from a known device: one event naming the factor', async () => {
    const user = await seedUser(h, { totp: true });
    const client = deviceClient(h);
    const challenged = await client.login({
      identifier: user.email,
      password: user.password,
      deviceToken: user.deviceToken,
    });
    assert.equal(challenged.result.case, 'mfaChallenge');
    await client.completeMfa({
      challengeToken: challenged.result.value.challengeToken,
      factor: { case: 'totpCode', value: totpAt(user.totp.secret, h.clock.now()) },
      deviceToken: user.deviceToken,
    });
    const events = await published(h, 'authLoginSucceeded', user.userId);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.mfaMethod, MfaMethod.TOTP);
    assert.equal(events[0]!.newDevice, false);
  });

  test('Refresh: auth.user_active once per session and UTC day, never on the login day', async () => {
    const user = await seedUser(h);
    const client = deviceClient(h);
    let refreshToken = user.refreshToken;
    const refresh = async () => {
      refreshToken = (await client.refresh({ refreshToken })).tokens!.refreshToken;
    };
    await refresh();
    assert.deepEqual(await published(h, 'authUserActive', user.userId), []);
    nextUtcDay(h);
    await refresh();
    h.clock.advance(20 * 60_000);
    await refresh();
    const active = await published(h, 'authUserActive', user.userId);
    assert.deepEqual(
      active.map((a) => a.sessionId),
      [user.sessionId],
    );
    nextUtcDay(h);
    await refresh();
    assert.equal((await published(h, 'authUserActive', user.userId)).length, 2);
  });

  test('ChangePassword: one auth.password_changed, and the revocations carry the reason enum', async () => {
    const user = await seedUser(h);
    const other = await startSession(h, user);
    const ip = freshIp();
    await signedInClient(h, user.accessToken, { ip }).changePassword({
      currentPassword: user.password,
      newPassword: 'a brand new passphrase for security events',
    });
    const [changed, ...more] = await published(h, 'authPasswordChanged', user.userId);
    assert.deepEqual(more, []);
    assert.equal(changed?.kind, AuthPasswordChangeKind.CHANGED);
    assert.equal(changed?.sessionsRevoked, 1);
    assert.equal(changed?.client?.ipAddress, ip);
    const revoked = await published(h, 'authSessionRevoked', user.userId);
    assert.deepEqual(
      revoked.map((r) => [r.sessionId, r.reason]),
      [[other.sessionId, AuthRevocationReason.PASSWORD_CHANGED]],
    );
    const invalidated = await published(h, 'authTokensInvalidated', user.userId);
    assert.deepEqual(
      invalidated.map((i) => i.reason),
      [AuthRevocationReason.PASSWORD_CHANGED],
    );
    // No secret travels: not the password, not a token.
    const text = JSON.stringify(await outboxPayloads(h), (_k, v: unknown) =>
      typeof v === 'bigint' ? String(v) : v,
    );
    assert.ok(!text.includes('a brand new passphrase'));
    assert.ok(!text.includes(user.refreshToken));
  });

  test('ResetPassword: one auth.password_changed of kind RESET', async () => {
    const user = await seedUser(h);
    const client = deviceClient(h);
    await client.requestPasswordReset({ email: user.email });
    const token = (await h.lastMailTo(user.email)).token!;
    await client.resetPassword({ token, newPassword: 'a reset passphrase for security events' });
    const events = await published(h, 'authPasswordChanged', user.userId);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.kind, AuthPasswordChangeKind.RESET);
    assert.equal(events[0]!.sessionsRevoked, 1);
    const revoked = await published(h, 'authSessionRevoked', user.userId);
    assert.deepEqual(
      revoked.map((r) => r.reason),
      [AuthRevocationReason.PASSWORD_RESET],
    );
  });

  test('an e-mail change: nothing when it starts, one auth.email_changed when verified', async () => {
    const user = await seedUser(h);
    const target = `moved${Date.now().toString(36)}@example.net`;
    await signedInClient(h, user.accessToken).changeEmail({
      currentPassword: user.password,
      newEmail: target,
    });
    assert.deepEqual(await published(h, 'authEmailChanged', user.userId), []);
    const ip = freshIp();
    await deviceClient(h, { ip }).verifyEmail({ token: (await h.lastMailTo(target)).token! });
    const events = await published(h, 'authEmailChanged', user.userId);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.email, target);
    assert.match(events[0]!.oldEmailHint, /^u\*+@example\.com$/);
    assert.match(events[0]!.newEmailHint, /^m\*+@example\.net$/);
    assert.equal(events[0]!.client?.ipAddress, ip);
  });

  test('TOTP on, new recovery codes, TOTP off: one auth.mfa_changed each', async () => {
    const user = await seedUser(h);
    const client = signedInClient(h, user.accessToken);
    const { secret } = await client.enrollTotp({ currentPassword: user.password });
    assert.deepEqual(await published(h, 'authMfaChanged', user.userId), []);
    await client.confirmTotp({ totpCode: totpAt(secret, h.clock.now()) });
    h.clock.advance(TOTP_STEP_MS);
    await client.regenerateRecoveryCodes({ totpCode: totpAt(secret, h.clock.now()) });
    h.clock.advance(TOTP_STEP_MS);
    await client.disableTotp({
      factor: { case: 'totpCode', value: totpAt(secret, h.clock.now()) },
    });
    const events = await published(h, 'authMfaChanged', user.userId);
    assert.deepEqual(
      events.map((e) => e.change),
      [
        AuthMfaChange.TOTP_ENABLED,
        AuthMfaChange.RECOVERY_CODES_REGENERATED,
        AuthMfaChange.TOTP_DISABLED,
      ],
    );
    assert.ok(events.every((e) => e.client?.userAgent === TEST_USER_AGENT));
  });

  test('a wrong code changes nothing and publishes nothing', async () => {
    const user = await seedUser(h);
    const client = signedInClient(h, user.accessToken);
    await client.enrollTotp({ currentPassword: user.password });
    assert.notEqual(await codeOf(client.confirmTotp({ totpCode: '000000' })), 'ok');
    assert.deepEqual(await published(h, 'authMfaChanged', user.userId), []);
  });

  test('ResetMfa by staff: one auth.mfa_changed without the staff member’s client', async () => {
    const admin = await seedUser(h, { role: 'admin' });
    const owner = await seedUser(h, { totp: true });
    await h.as(admin.accessToken).admin.resetMfa({
      userId: owner.userId,
      reason: 'lost phone',
      stepUp: { currentPassword: admin.password },
    });
    const resets = (await published(h, 'authMfaChanged', owner.userId)).filter(
      (e) => e.change === AuthMfaChange.RESET_BY_STAFF,
    );
    assert.equal(resets.length, 1);
    assert.equal(resets[0]!.client, undefined);
    const revoked = await published(h, 'authSessionRevoked', owner.userId);
    assert.deepEqual(
      revoked.map((r) => r.reason),
      [AuthRevocationReason.MFA_RESET],
    );
  });

  test('Logout and RevokeSession carry their reasons as enums', async () => {
    const user = await seedUser(h);
    const phone = await startSession(h, user);
    await signedInClient(h, user.accessToken).revokeSession({ sessionId: phone.sessionId });
    await signedInClient(h, user.accessToken).logout({});
    const revoked = await published(h, 'authSessionRevoked', user.userId);
    assert.deepEqual(
      revoked.map((r) => [r.sessionId, r.reason]),
      [
        [phone.sessionId, AuthRevocationReason.REVOKED_BY_USER],
        [user.sessionId, AuthRevocationReason.LOGOUT],
      ],
    );
  });
});

describe('security events of OIDC logins', () => {
  const REDIRECT = 'http://127.0.0.1:3000/oidc/callback';
  const SECRET = 'kith-web-secret-0123456789';
  const people: Record<string, TestOidcAccount> = {};
  let op: TestOidcProvider;
  let h: AuthHarness;

  beforeAll(async () => {
    op = await startTestOidcProvider({
      clients: [{ client_id: 'kith-web', client_secret: SECRET, redirect_uris: [REDIRECT] }],
      accounts: people,
    });
    h = await startAuthHarness({
      env: {
        AUTH_OIDC_PROVIDERS: JSON.stringify([
          {
            id: 'test',
            issuer: op.issuer,
            redirectUris: [REDIRECT],
            allowInsecureHttp: true,
            clientId: 'kith-web',
            clientSecret: SECRET,
          },
        ]),
      },
    });
  });
  afterAll(async () => {
    await h?.stop();
    await op?.stop();
  });

  async function oidcLogin(auth: Client<typeof AuthService>, sub: string) {
    const started = await auth.startOAuthLogin({
      providerId: 'test',
      redirectUri: REDIRECT,
      intent: OidcIntent.LOGIN,
      consent: CONSENT,
    });
    const callback = await op.authorize(started.authorizationUrl, { sub });
    return auth.finishOAuthLogin({
      providerId: 'test',
      code: callback.code,
      state: callback.state,
      iss: callback.iss ?? '',
      bindingSecret: started.bindingSecret,
    });
  }

  test('sign-up and a later login through OIDC: one event each, method OIDC, never new', async () => {
    const sub = `sec${Date.now().toString(36)}`;
    people[sub] = { email: `${sub}@idp.example`, email_verified: true, name: 'Sec Example' };
    const first = await oidcLogin(deviceClient(h), sub);
    assert.equal(first.result.case, 'tokens');
    const userId = first.result.value.userId;
    const second = await oidcLogin(deviceClient(h, { userAgent: 'Elsewhere/2.0' }), sub);
    assert.equal(second.result.case, 'tokens');
    const events = await published(h, 'authLoginSucceeded', userId);
    assert.deepEqual(
      events.map((e) => [e.sessionId, e.method, e.newDevice]),
      [
        [first.result.value.sessionId, AuthLoginMethod.OIDC, false],
        [second.result.value.sessionId, AuthLoginMethod.OIDC, false],
      ],
    );
  });
});
