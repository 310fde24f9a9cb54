import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { Code } from '@connectrpc/connect';
import { totpAt } from '../mfa/totp.js';
import {
  codeOf,
  deviceClient,
  freshIp,
  rejectsWith,
  seedTotp,
  seedUser,
  signIn,
  signedInClient,
  startAuthHarness,
  startSession,
  violatedFields,
} from '../testing/index.js';
import type { AuthHarness } from '../testing/index.js';

const MINUTE = 60_000;

describe('Reauthenticate', () => {
  let h: AuthHarness;

  beforeAll(async () => {
    h = await startAuthHarness();
  });
  afterAll(() => h.stop());

  const authTime = async (sessionId: string) =>
    (
      await h.app.database.db
        .selectFrom('sessions')
        .select('auth_time')
        .where('id', '=', sessionId)
        .executeTakeFirstOrThrow()
    ).auth_time.getTime();

  it('reopens the re-auth window for sensitive changes on the same session', async () => {
    const account = await seedUser(h, { signedIn: false });
    const signedIn = await signIn(deviceClient(h), account);
    const loggedInAt = h.clock.now().getTime();

    h.clock.advance(61 * MINUTE);
    // The access token has expired meanwhile; a refreshed one keeps the old auth_time.
    const refreshed = (await deviceClient(h).refresh({ refreshToken: signedIn.refreshToken }))
      .tokens!;
    const stale = signedInClient(h, refreshed.accessToken);
    const err = await rejectsWith(
      stale.enrollTotp({ currentPassword: account.password }),
      Code.FailedPrecondition,
    );
    assert.match(err.rawMessage, /reauthenticat/i);
    assert.equal(await authTime(signedIn.sessionId), loggedInAt);

    const now = h.clock.now().getTime();
    const reauth = await stale.reauthenticate({
      factor: { case: 'password', value: account.password },
    });
    assert.equal(reauth.tokens?.sessionId, signedIn.sessionId);
    assert.equal(
      Number(reauth.reauthenticatedUntil?.seconds),
      Math.floor((now + 60 * MINUTE) / 1000),
    );
    assert.equal(await authTime(signedIn.sessionId), now);

    const fresh = signedInClient(h, reauth.tokens!.accessToken);
    const enrolment = await fresh.enrollTotp({ currentPassword: account.password });
    assert.ok(enrolment.secret.length > 0);

    // The pair returned is the session's only live one: the refreshed pair's token is dropped.
    await rejectsWith(
      deviceClient(h).refresh({ refreshToken: refreshed.refreshToken }),
      Code.Unauthenticated,
    );
    const next = await deviceClient(h).refresh({ refreshToken: reauth.tokens!.refreshToken });
    assert.equal(next.tokens?.sessionId, signedIn.sessionId);
  });

  it('refuses a wrong password on the password field, and counts it like a failed login', async () => {
    const account = await seedUser(h, { signedIn: false });
    const tokens = await signIn(deviceClient(h), account);
    const client = signedInClient(h, tokens.accessToken);
    const before = await authTime(tokens.sessionId);
    h.clock.advance(MINUTE);
    const err = await rejectsWith(
      client.reauthenticate({ factor: { case: 'password', value: 'not my password' } }),
      Code.InvalidArgument,
    );
    assert.deepEqual(violatedFields(err), ['password']);
    assert.equal(await authTime(tokens.sessionId), before);

    for (let i = 0; i < 5; i++) {
      await rejectsWith(
        client.reauthenticate({ factor: { case: 'password', value: 'still wrong' } }),
        Code.InvalidArgument,
      );
    }
    // Six failures: the next try waits, even with the right password.
    await rejectsWith(
      client.reauthenticate({ factor: { case: 'password', value: account.password } }),
      Code.ResourceExhausted,
    );
    h.clock.advance(2000);
    await client.reauthenticate({ factor: { case: 'password', value: account.password } });
  });

  it("keeps each session's failure count apart: a thief's failures never hold up the owner's ChangePassword", async () => {
    const owner = await seedUser(h);
    const stolen = await startSession(h, owner);
    const thief = signedInClient(h, stolen.accessToken);
    for (let i = 0; i < 8; i++) {
      await codeOf(thief.reauthenticate({ factor: { case: 'password', value: `guess ${i}` } }));
    }
    await rejectsWith(
      thief.reauthenticate({ factor: { case: 'password', value: 'one more' } }),
      Code.ResourceExhausted,
    );
    // The owner's own session has its own budget, and the right password works at once.
    await signedInClient(h, owner.accessToken).changePassword({
      currentPassword: owner.password,
      newPassword: 'a brand new passphrase for kith 93',
    });
  });

  it('takes a TOTP code only from an account without a password, once per code', async () => {
    const withPassword = await seedUser(h, { signedIn: false });
    const tokens = await signIn(deviceClient(h), withPassword);
    const refused = await rejectsWith(
      signedInClient(h, tokens.accessToken).reauthenticate({
        factor: { case: 'totpCode', value: '123456' },
      }),
      Code.InvalidArgument,
    );
    assert.deepEqual(violatedFields(refused), ['totp_code']);

    // An OIDC-only account (no password) signed in, with TOTP enabled.
    const oidcOnly = await seedUser(h, { signedIn: false, password: null });
    const started = await startSession(h, oidcOnly, { ip: freshIp() });
    const client = signedInClient(h, started.accessToken);
    await rejectsWith(
      client.reauthenticate({ factor: { case: 'totpCode', value: '123456' } }),
      Code.FailedPrecondition,
    );
    // EnrollTotp needs a password, so the factor is written as the service would.
    const secret = await seedTotp(h, oidcOnly);

    h.clock.advance(61 * MINUTE);
    const code = totpAt(secret, h.clock.now());
    const refreshed = (await deviceClient(h).refresh({ refreshToken: started.refreshToken }))
      .tokens!;
    const later = signedInClient(h, refreshed.accessToken);
    const reauth = await later.reauthenticate({ factor: { case: 'totpCode', value: code } });
    assert.equal(reauth.tokens?.sessionId, started.sessionId);
    assert.equal(await authTime(started.sessionId), h.clock.now().getTime());

    const replay = await rejectsWith(
      signedInClient(h, reauth.tokens!.accessToken).reauthenticate({
        factor: { case: 'totpCode', value: code },
      }),
      Code.InvalidArgument,
    );
    assert.deepEqual(violatedFields(replay), ['totp_code']);
  });
});
