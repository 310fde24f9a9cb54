import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { Code } from '@connectrpc/connect';
import { uuidv7 } from 'uuidv7';
import { createPasswordHasher } from '../credentials/index.js';
import {
  auditTrail,
  deviceClient,
  keptDevice,
  rejectsWith,
  seedUser,
  signIn,
  signedInClient,
  startAuthHarness,
  startSession,
  testHasherParams,
} from '../testing/index.js';
import type { AuthHarness } from '../testing/index.js';

describe('Login', () => {
  let h: AuthHarness;
  const verifications = { account: 0, dummy: 0 };
  const verifyCount = () => verifications.account + verifications.dummy;

  beforeAll(async () => {
    const hasher = createPasswordHasher(testHasherParams, {
      onVerify: (kind) => {
        verifications[kind] += 1;
      },
    });
    h = await startAuthHarness({ hasher });
  });
  afterAll(() => h.stop());

  it('signs in by e-mail (any case) or username and returns a working token pair', async () => {
    const account = await seedUser(h, { signedIn: false });
    const client = deviceClient(h);
    const byEmail = await client.login({
      identifier: `  ${account.email.toUpperCase()} `,
      password: account.password,
      deviceLabel: 'Ana’s phone',
    });
    assert.equal(byEmail.result.case, 'tokens');
    const tokens = byEmail.result.value;
    assert.equal(tokens.userId, account.userId);
    assert.equal(tokens.tokenType, 'Bearer');
    assert.match(tokens.refreshToken, /^kith_rt_/);
    assert.match(byEmail.deviceToken, /^kith_dev_/, 'a device credential to keep');
    const me = await signedInClient(h, tokens.accessToken).getAccount({});
    assert.equal(me.account?.userId, account.userId);

    const byUsername = await signIn(client, {
      email: account.username.toUpperCase(),
      password: account.password,
      deviceToken: byEmail.deviceToken,
    });
    assert.equal(byUsername.userId, account.userId);
    assert.notEqual(byUsername.sessionId, tokens.sessionId);

    const session = await h.app.database.db
      .selectFrom('sessions')
      .selectAll()
      .where('id', '=', tokens.sessionId)
      .executeTakeFirstOrThrow();
    assert.equal(session.device_label, 'Ana’s phone');
    assert.equal(session.user_agent, 'kith-test/1.0');
    const trail = await auditTrail(h, account.userId);
    assert.deepEqual(
      trail.map((e) => e.type),
      ['login_succeeded', 'login_succeeded'],
    );
  });

  it('answers a wrong password, an unknown account, a disabled and an OIDC-only one identically', async () => {
    const account = await seedUser(h, { signedIn: false });
    const disabled = await seedUser(h, { signedIn: false, disabled: true });
    const oidcOnly = await seedUser(h, { signedIn: false, password: null });
    const client = deviceClient(h);
    const attempts = [
      { identifier: account.email, password: 'not the password' },
      { identifier: `nobody-${uuidv7()}@example.com`, password: 'not the password' },
      { identifier: 'nobody_at_all', password: account.password },
      { identifier: disabled.email, password: disabled.password },
      { identifier: oidcOnly.email, password: 'anything at all' },
    ];
    const answers = [];
    for (const attempt of attempts) {
      const err = await rejectsWith(client.login(attempt), Code.Unauthenticated);
      // Everything the client sees, but the per-request id and the date.
      const headers = [...err.metadata].filter(
        ([name]) => !['x-request-id', 'date'].includes(name),
      );
      answers.push({ code: err.code, message: err.rawMessage, details: err.details, headers });
    }
    for (const answer of answers.slice(1)) assert.deepEqual(answer, answers[0]);
    assert.equal(answers[0]?.message, 'invalid credentials');

    const reasons = async (id: string) =>
      (await auditTrail(h, id)).map((e) => [e.type, e.details.reason]);
    assert.deepEqual(await reasons(account.userId), [['login_failed', 'bad_password']]);
    assert.deepEqual(await reasons(disabled.userId), [['login_failed', 'account_disabled']]);
    assert.deepEqual(await reasons(oidcOnly.userId), [['login_failed', 'no_password']]);
    const unknown = await h.app.database.db
      .selectFrom('audit_events')
      .select('details')
      .where('type', '=', 'login_failed')
      .where('account_id', 'is', null)
      .execute();
    assert.equal(unknown.length, 2);
    assert.ok(unknown.every((e) => e.details.reason === 'unknown_identifier'));
  });

  it('spends a (dummy) argon2 verification on unknown and password-less accounts too', async () => {
    const account = await seedUser(h, { signedIn: false });
    const oidcOnly = await seedUser(h, { signedIn: false, password: null });
    const client = deviceClient(h);

    const before = { ...verifications };
    await rejectsWith(
      client.login({ identifier: `ghost-${uuidv7()}@example.com`, password: 'guess' }),
      Code.Unauthenticated,
    );
    assert.equal(verifications.dummy, before.dummy + 1);
    assert.equal(verifications.account, before.account);

    await rejectsWith(
      client.login({ identifier: oidcOnly.username, password: 'guess' }),
      Code.Unauthenticated,
    );
    assert.equal(verifications.dummy, before.dummy + 2);

    await rejectsWith(
      client.login({ identifier: account.email, password: 'guess' }),
      Code.Unauthenticated,
    );
    assert.equal(verifications.account, before.account + 1);
    assert.equal(verifications.dummy, before.dummy + 2);
  });

  it('asks to verify the e-mail address only once the password is right', async () => {
    const account = await seedUser(h, { signedIn: false, verified: false });
    const client = deviceClient(h);
    const wrong = await rejectsWith(
      client.login({ identifier: account.email, password: 'not it' }),
      Code.Unauthenticated,
    );
    assert.equal(wrong.rawMessage, 'invalid credentials');
    const right = await rejectsWith(
      client.login({ identifier: account.email, password: account.password }),
      Code.FailedPrecondition,
    );
    assert.equal(right.rawMessage, 'verify your e-mail address first');
    const sessions = await h.app.database.db
      .selectFrom('sessions')
      .select('id')
      .where('account_id', '=', account.userId)
      .execute();
    assert.equal(sessions.length, 0);
  });

  it('refuses logins from a range blocked for everything, before any hashing', async () => {
    const account = await seedUser(h, { signedIn: false });
    const now = h.clock.now();
    const block = (cidr: string, scope: 'sign_up' | 'all', expiresAt: Date | null) => ({
      id: uuidv7(),
      cidr,
      scope,
      reason: 'test',
      created_by: account.userId,
      created_at: now,
      expires_at: expiresAt,
    });
    await h.app.database.db
      .insertInto('ip_blocks')
      .values([
        block('203.0.113.0/24', 'all', null),
        block('198.51.100.0/24', 'sign_up', null),
        block('192.0.2.0/24', 'all', new Date(now.getTime() - 1000)),
      ])
      .execute();

    const countBefore = verifyCount();
    const err = await rejectsWith(
      deviceClient(h, { ip: '203.0.113.77' }).login({
        identifier: account.email,
        password: account.password,
      }),
      Code.PermissionDenied,
    );
    assert.equal(verifyCount(), countBefore, 'no password was hashed');
    assert.doesNotMatch(err.rawMessage, /credentials/);
    const blocked = await h.app.database.db
      .selectFrom('audit_events')
      .select(['ip', 'details'])
      .where('type', '=', 'blocked_by_policy')
      .execute();
    assert.deepEqual(
      blocked.map((b) => b.ip),
      ['203.0.113.77'],
    );

    // A sign-up-only block and an expired block do not stop a login.
    await keptDevice(h, { ip: '198.51.100.5' }).signIn(account);
    const other = await startSession(h, account);
    await signIn(deviceClient(h, { ip: '192.0.2.5' }), { ...account, ...other });
  });

  it('stores a fresh hash when the stored one was made with other parameters', async () => {
    const account = await seedUser(h, { signedIn: false });
    const weak = createPasswordHasher({ memoryCost: 512, timeCost: 1, parallelism: 1 });
    await h.app.database.db
      .updateTable('accounts')
      .set({ password_hash: await weak.hash(account.password) })
      .where('id', '=', account.userId)
      .execute();
    const device = keptDevice(h);
    await device.signIn(account);
    const row = await h.app.database.db
      .selectFrom('accounts')
      .select('password_hash')
      .where('id', '=', account.userId)
      .executeTakeFirstOrThrow();
    assert.match(row.password_hash ?? '', new RegExp(`m=${testHasherParams.memoryCost},`));
    await device.signIn(account);
  });
});
