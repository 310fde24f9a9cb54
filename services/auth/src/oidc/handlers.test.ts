import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import type { Client } from '@connectrpc/connect';
import type { AuthService, ConsentSchema } from '@kith/gen/kith/auth/v1/auth_pb.js';
import { MfaMethod, OidcIntent } from '@kith/gen/kith/auth/v1/types_pb.js';
import { totpAt } from '../mfa/totp.js';
import {
  accountActionReversed,
  accountActioned,
  auditTrail,
  CONSENT,
  deviceClient,
  freshIp,
  outboxPayloads,
  publishModerationEvent,
  rejectsWith,
  seedUser,
  signedInClient,
  startAuthHarness,
} from '../testing/index.js';
import type { AuthHarness } from '../testing/index.js';
import { startTestOidcProvider } from './test-provider.js';
import type { TestOidcAccount, TestOidcProvider } from './test-provider.js';

const MINUTE = 60_000;
// Never fetched: the provider's final redirect is read, not followed.
const REDIRECT = 'http://127.0.0.1:3000/oidc/callback';
const SECRET = 'kith-web-secret-0123456789';
const CLOSED_SECRET = 'kith-closed-secret-0123456789';

/** The provider reads this map on every login: a test adds the people it needs. */
const people: Record<string, TestOidcAccount> = {};

function person(sub: string, claims: Partial<TestOidcAccount> = {}): string {
  people[sub] = {
    email: `${sub}@idp.example`,
    email_verified: true,
    name: `${sub} Example`,
    ...claims,
  };
  return sub;
}

type Auth = Client<typeof AuthService>;

interface StartOptions {
  provider?: string;
  intent?: OidcIntent;
  /** The terms sent at the start: CONSENT unless given; null sends none. */
  consent?: MessageInitShape<typeof ConsentSchema> | null;
}

describe('OIDC login, sign-up and linking against a real provider', () => {
  let op: TestOidcProvider;
  let h: AuthHarness;

  beforeAll(async () => {
    op = await startTestOidcProvider({
      clients: [
        { client_id: 'kith-web', client_secret: SECRET, redirect_uris: [REDIRECT] },
        { client_id: 'kith-closed', client_secret: CLOSED_SECRET, redirect_uris: [REDIRECT] },
      ],
      accounts: people,
    });
    const provider = {
      issuer: op.issuer,
      redirectUris: [REDIRECT],
      allowInsecureHttp: true,
    };
    h = await startAuthHarness({
      env: {
        TRUST_PROXY: '1',
        AUTH_OIDC_PROVIDERS: JSON.stringify([
          { ...provider, id: 'test', clientId: 'kith-web', clientSecret: SECRET },
          {
            ...provider,
            id: 'closed',
            clientId: 'kith-closed',
            clientSecret: CLOSED_SECRET,
            allowSignUp: false,
          },
        ]),
      },
    });
  });
  afterAll(async () => {
    await h?.stop();
    await op?.stop();
  });

  /** Clients from an address of their own, so per-address limits of one test never touch another. */
  function caller(): { auth: Auth; as: (token: string) => Auth } {
    const device = { ip: freshIp() };
    return {
      auth: deviceClient(h, device),
      as: (token) => signedInClient(h, token, device),
    };
  }

  async function start(auth: Auth, options: StartOptions = {}) {
    const providerId = options.provider ?? 'test';
    const consent = options.consent === undefined ? CONSENT : options.consent;
    const started = await auth.startOAuthLogin({
      providerId,
      redirectUri: REDIRECT,
      intent: options.intent ?? OidcIntent.LOGIN,
      ...(consent === null ? {} : { consent }),
    });
    return { providerId, started };
  }

  /**
   * The user at the provider; returns what the starting client passes to Finish: the
   * redirect's parameters and the binding secret it kept from Start.
   */
  async function authorize(
    started: { authorizationUrl: string; bindingSecret: string },
    sub: string,
  ) {
    const callback = await op.authorize(started.authorizationUrl, { sub });
    return {
      code: callback.code,
      state: callback.state,
      iss: callback.iss ?? '',
      bindingSecret: started.bindingSecret,
    };
  }

  /** The whole round trip: start, the user at the provider, finish. */
  async function oidc(auth: Auth, sub: string, options: StartOptions & { finishWith?: Auth } = {}) {
    const { providerId, started } = await start(auth, options);
    const callback = await authorize(started, sub);
    return (options.finishWith ?? auth).finishOAuthLogin({ providerId, ...callback });
  }

  async function identityOf(sub: string) {
    return h.app.database.db
      .selectFrom('oidc_identities')
      .selectAll()
      .where('issuer', '=', op.issuer)
      .where('subject', '=', sub)
      .executeTakeFirst();
  }

  async function accountWithEmail(email: string) {
    return h.app.database.db
      .selectFrom('accounts')
      .selectAll()
      .where('email_canonical', '=', email.toLowerCase())
      .executeTakeFirst();
  }

  async function stateCount(): Promise<number> {
    const row = await h.app.database.db
      .selectFrom('oidc_states')
      .select((eb) => eb.fn.countAll<string | number | bigint>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async function auditTypes(accountId: string): Promise<string[]> {
    return (await auditTrail(h, accountId)).map((e) => e.type);
  }

  async function failureReasons(): Promise<string[]> {
    const rows = await h.app.database.db
      .selectFrom('audit_events')
      .select('details')
      .where('type', '=', 'login_failed')
      .orderBy('id')
      .execute();
    return rows.map((r) => r.details.reason ?? '');
  }

  async function registeredEvents(userId: string) {
    return (await outboxPayloads(h)).filter(
      (p) => p.case === 'authUserRegistered' && p.value.userId === userId,
    );
  }

  test('an unknown identity with a verified e-mail signs up; its next login is the same account', async () => {
    const c = caller();
    const sub = person('nora', { preferred_username: 'Nora.N', email: 'Nora.N@idp.example' });

    const first = await oidc(c.auth, sub);
    assert.equal(first.accountCreated, true);
    assert.equal(first.result.case, 'tokens');
    const tokens = first.result.value;
    const sessions = await c.as(tokens.accessToken).listSessions({});
    assert.deepEqual(
      sessions.sessions.map((s) => [s.sessionId, s.current]),
      [[tokens.sessionId, true]],
    );
    const { account } = await c.as(tokens.accessToken).getAccount({});
    assert.ok(account);
    assert.equal(account.userId, tokens.userId);
    assert.equal(account.username, 'nora_n');
    assert.equal(account.email, 'Nora.N@idp.example');
    assert.equal(account.emailVerified, true);
    assert.equal(account.hasPassword, false);
    assert.deepEqual(
      account.linkedIdentities.map((i) => [i.providerId, i.issuer, i.subject, i.email]),
      [['test', op.issuer, sub, 'Nora.N@idp.example']],
    );
    assert.deepEqual(await auditTypes(tokens.userId), [
      'registered',
      'oauth_linked',
      'login_succeeded',
    ]);
    const events = await registeredEvents(tokens.userId);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.case === 'authUserRegistered' && events[0].value.username, 'nora_n');

    const second = await oidc(caller().auth, sub);
    assert.equal(second.accountCreated, false);
    assert.equal(second.result.case, 'tokens');
    assert.equal(second.result.value.userId, tokens.userId);
    assert.notEqual(second.result.value.sessionId, tokens.sessionId);
    assert.equal((await registeredEvents(tokens.userId)).length, 1);
  });

  test('sign-ups wanting a taken username get a numeric suffix', async () => {
    const a = person('vic-a', { preferred_username: 'Vic' });
    const b = person('vic-b', { preferred_username: 'vic' });
    const first = await oidc(caller().auth, a);
    const second = await oidc(caller().auth, b);
    assert.equal(first.result.case, 'tokens');
    assert.equal(second.result.case, 'tokens');
    const names = await h.app.database.db
      .selectFrom('accounts')
      .select(['id', 'username'])
      .where('id', 'in', [first.result.value.userId, second.result.value.userId])
      .execute();
    const byId = new Map(names.map((n) => [n.id, n.username]));
    assert.equal(byId.get(first.result.value.userId), 'vic');
    assert.equal(byId.get(second.result.value.userId), 'vic2');
  });

  test('a sign-up without accepted terms is refused and creates nothing', async () => {
    const c = caller();
    const sub = person('cora');
    const email = `${sub}@idp.example`;
    const refused = await rejectsWith(
      oidc(c.auth, sub, { consent: null }),
      Code.FailedPrecondition,
    );
    assert.equal(refused.rawMessage, 'accept the terms to create an account');
    assert.equal((await failureReasons()).at(-1), 'consent_missing');
    assert.equal(await identityOf(sub), undefined);
    assert.equal(await accountWithEmail(email), undefined);
    const registered = (await outboxPayloads(h)).filter(
      (p) => p.case === 'authUserRegistered' && p.value.email === email,
    );
    assert.deepEqual(registered, []);

    // Accepting the terms at a new start is the way on.
    const signedUp = await oidc(c.auth, sub);
    assert.equal(signedUp.accountCreated, true);
    assert.equal(signedUp.result.case, 'tokens');
    assert.equal((await accountWithEmail(email))?.id, signedUp.result.value.userId);
  });

  test('a sign-up records the terms on the new account, accepted when the login started', async () => {
    const c = caller();
    const sub = person('dora');
    const consent = { ...CONSENT, marketingEmails: true, documentsVersion: '2026-02' };
    const { providerId, started } = await start(c.auth, { consent });
    const startedAt = h.clock.now();
    const callback = await authorize(started, sub);
    h.clock.advance(2 * MINUTE);

    const finished = await c.auth.finishOAuthLogin({ providerId, ...callback });
    assert.equal(finished.accountCreated, true);
    assert.equal(finished.result.case, 'tokens');
    const account = await accountWithEmail(`${sub}@idp.example`);
    assert.equal(account?.id, finished.result.value.userId);
    // The shape Register stores.
    assert.deepEqual(account?.consent, {
      terms_accepted: true,
      privacy_policy_accepted: true,
      minimum_age_confirmed: true,
      marketing_emails: true,
      documents_version: '2026-02',
      accepted_at: startedAt.toISOString(),
    });
  });

  test('existing accounts sign in, and links finish, without accepted terms', async () => {
    const sub = person('edda');
    const email = `${sub}@idp.example`;
    const signedUp = await oidc(caller().auth, sub);
    assert.equal(signedUp.result.case, 'tokens');
    const recorded = (await accountWithEmail(email))?.consent;
    assert.equal((recorded as { documents_version?: string }).documents_version, '2026-01');

    const login = await oidc(caller().auth, sub, { consent: null });
    assert.equal(login.accountCreated, false);
    assert.equal(login.result.case, 'tokens');
    assert.equal(login.result.value.userId, signedUp.result.value.userId);
    // Nothing recorded again: the terms stay as accepted at sign-up.
    assert.deepEqual((await accountWithEmail(email))?.consent, recorded);

    // A password account links an identity and signs in with it, never asked for terms.
    const user = await seedUser(h);
    const linkedSub = person('fern');
    const linked = await oidc(caller().as(user.accessToken), linkedSub, {
      intent: OidcIntent.LINK,
      consent: null,
    });
    assert.equal(linked.result.case, 'linkedIdentity');
    const linkedLogin = await oidc(caller().auth, linkedSub, { consent: null });
    assert.equal(linkedLogin.accountCreated, false);
    assert.equal(linkedLogin.result.case, 'tokens');
    assert.equal(linkedLogin.result.value.userId, user.userId);
  });

  test('a link keeps no terms, even when the start sends them', async () => {
    const user = await seedUser(h);
    await start(caller().as(user.accessToken), { intent: OidcIntent.LINK, consent: CONSENT });
    const states = await h.app.database.db
      .selectFrom('oidc_states')
      .select(['intent', 'consent'])
      .where('account_id', '=', user.userId)
      .execute();
    assert.deepEqual(states, [{ intent: 'link', consent: null }]);
  });

  test('terms sent at the start must be accepted in full, or nothing is started', async () => {
    const statesBefore = await stateCount();
    for (const consent of [
      { ...CONSENT, termsAccepted: false },
      { ...CONSENT, privacyPolicyAccepted: false },
      { ...CONSENT, minimumAgeConfirmed: false },
      { ...CONSENT, documentsVersion: '' },
    ]) {
      const error = await rejectsWith(start(caller().auth, { consent }), Code.InvalidArgument);
      assert.match(error.rawMessage, /consent/);
    }
    assert.equal(await stateCount(), statesBefore);
  });

  test('a leaked or planted callback URL redeems nothing without the binding secret of the client that started', async () => {
    const c = caller();
    const sub = person('bindy');
    const { providerId, started } = await start(c.auth);
    assert.match(started.bindingSecret, /^kith_oab_/);
    const { bindingSecret, ...callbackUrl } = await authorize(started, sub);
    const stored = await h.app.database.db
      .selectFrom('oidc_states')
      .select('binding_hash')
      .where('binding_hash', '!=', '')
      .execute();
    assert.ok(
      stored.every((row) => row.binding_hash !== bindingSecret),
      'only a hash is kept',
    );

    // Someone else holding the callback (code and state): another client, its own secret.
    const other = await start(caller().auth);
    const stolen = await rejectsWith(
      caller().auth.finishOAuthLogin({
        providerId,
        ...callbackUrl,
        bindingSecret: other.started.bindingSecret,
      }),
      Code.Unauthenticated,
    );
    assert.equal(stolen.rawMessage, 'oidc login failed');
    assert.equal((await failureReasons()).at(-1), 'binding_mismatch');
    assert.equal(await identityOf(sub), undefined);
    // Without any secret the request is malformed.
    await rejectsWith(
      caller().auth.finishOAuthLogin({ providerId, ...callbackUrl }),
      Code.InvalidArgument,
    );

    // The client that started it still finishes: the failed attempts did not use the state up.
    const finished = await c.auth.finishOAuthLogin({ providerId, ...callbackUrl, bindingSecret });
    assert.equal(finished.result.case, 'tokens');
  });

  test('a state works once, even with a fresh code for it', async () => {
    const c = caller();
    const sub = person('otto');
    const { providerId, started } = await start(c.auth);
    // The user goes through the provider twice with the same authorization URL: two valid codes.
    const firstCallback = await authorize(started, sub);
    const secondCallback = await authorize(started, sub);
    assert.notEqual(firstCallback.code, secondCallback.code);

    const ok = await c.auth.finishOAuthLogin({ providerId, ...firstCallback });
    assert.equal(ok.result.case, 'tokens');
    const replay = await rejectsWith(
      c.auth.finishOAuthLogin({ providerId, ...secondCallback }),
      Code.Unauthenticated,
    );
    // The state check answered, not the provider (whose errors name a reason).
    assert.equal(replay.rawMessage, 'oidc login failed');
    assert.equal((await failureReasons()).at(-1), 'state_used');
  });

  test('starts are limited per client address (30 per 5 minutes)', async () => {
    const { auth } = caller();
    for (let i = 0; i < 30; i++) await start(auth);
    await rejectsWith(start(auth), Code.ResourceExhausted);
    // Another address is unaffected.
    assert.ok((await start(caller().auth)).started.state);
  });

  test('an expired state is refused before the provider is asked', async () => {
    const c = caller();
    const sub = person('pete');
    const { providerId, started } = await start(c.auth);
    const callback = await authorize(started, sub);
    assert.equal(
      started.expiresAt?.seconds,
      BigInt(Math.floor((h.clock.now().getTime() + 10 * MINUTE) / 1000)),
    );
    h.clock.advance(11 * MINUTE);
    const expired = await rejectsWith(
      c.auth.finishOAuthLogin({ providerId, ...callback }),
      Code.Unauthenticated,
    );
    assert.equal(expired.rawMessage, 'oidc login failed');
    assert.equal((await failureReasons()).at(-1), 'state_expired');
    assert.equal(await identityOf(sub), undefined);
  });

  test('a state is bound to its provider and cannot be finished at another one', async () => {
    const c = caller();
    const sub = person('rhea');
    const { started } = await start(c.auth);
    const callback = await authorize(started, sub);
    const mismatch = await rejectsWith(
      c.auth.finishOAuthLogin({ providerId: 'closed', ...callback }),
      Code.Unauthenticated,
    );
    assert.equal(mismatch.rawMessage, 'oidc login failed');
    assert.equal((await failureReasons()).at(-1), 'provider_mismatch');
    // The attempt used the state up.
    await rejectsWith(
      c.auth.finishOAuthLogin({ providerId: 'test', ...callback }),
      Code.Unauthenticated,
    );
    assert.equal(await identityOf(sub), undefined);
  });

  test('a callback naming another issuer (RFC 9207 iss) fails with the client’s reason', async () => {
    const c = caller();
    const sub = person('sven');
    const { providerId, started } = await start(c.auth);
    const callback = await authorize(started, sub);
    const error = await rejectsWith(
      c.auth.finishOAuthLogin({ providerId, ...callback, iss: 'https://evil.example' }),
      Code.Unauthenticated,
    );
    assert.equal(error.rawMessage, 'oidc login failed: issuer_mismatch');
    assert.equal((await failureReasons()).at(-1), 'issuer_mismatch');
    assert.equal(await identityOf(sub), undefined);
  });

  test('an unknown provider is an invalid argument', async () => {
    const error = await rejectsWith(
      caller().auth.startOAuthLogin({
        providerId: 'nope',
        redirectUri: REDIRECT,
        intent: OidcIntent.LOGIN,
      }),
      Code.InvalidArgument,
    );
    assert.match(error.rawMessage, /unknown provider/);
  });

  test('a verified e-mail of an existing password account is not linked automatically', async () => {
    const owner = await seedUser(h);
    const sub = person('mallory', { email: owner.email.toUpperCase() });
    const error = await rejectsWith(oidc(caller().auth, sub), Code.FailedPrecondition);
    assert.equal(
      error.rawMessage,
      'an account with this e-mail exists: sign in and link the provider from settings',
    );
    assert.equal(await identityOf(sub), undefined);
    const accounts = await h.app.database.db
      .selectFrom('accounts')
      .select('id')
      .where('email_canonical', '=', owner.email.toLowerCase())
      .execute();
    assert.deepEqual(
      accounts.map((a) => a.id),
      [owner.userId],
    );
  });

  test('no sign-up with an unverified e-mail, nor at a provider that does not allow it', async () => {
    const owner = await seedUser(h);
    // Unverified: refused, and without telling whether an account holds the address.
    const claimed = person('ivan', { email: owner.email, email_verified: false });
    await rejectsWith(oidc(caller().auth, claimed), Code.PermissionDenied);
    assert.equal(await identityOf(claimed), undefined);

    const newcomer = person('wanda');
    await rejectsWith(oidc(caller().auth, newcomer, { provider: 'closed' }), Code.PermissionDenied);
    assert.equal(await identityOf(newcomer), undefined);
    const created = await h.app.database.db
      .selectFrom('accounts')
      .select('id')
      .where('email_canonical', '=', `${newcomer}@idp.example`)
      .executeTakeFirst();
    assert.equal(created, undefined);
  });

  test('a signed-in user links an identity and then signs in with it', async () => {
    const c = caller();
    const user = await seedUser(h);
    const sub = person('lena');

    const linked = await oidc(c.as(user.accessToken), sub, { intent: OidcIntent.LINK });
    assert.equal(linked.accountCreated, false);
    assert.equal(linked.result.case, 'linkedIdentity');
    assert.equal(linked.result.value.providerId, 'test');
    assert.equal(linked.result.value.issuer, op.issuer);
    assert.equal(linked.result.value.subject, sub);
    assert.equal((await identityOf(sub))?.account_id, user.userId);
    assert.ok((await auditTypes(user.userId)).includes('oauth_linked'));

    const login = await oidc(caller().auth, sub);
    assert.equal(login.accountCreated, false);
    assert.equal(login.result.case, 'tokens');
    assert.equal(login.result.value.userId, user.userId);
  });

  test('a link needs a signed-in caller who re-authenticated within the hour', async () => {
    const c = caller();
    await rejectsWith(start(c.auth, { intent: OidcIntent.LINK }), Code.Unauthenticated);

    const user = await seedUser(h);
    await h.app.database.db
      .updateTable('sessions')
      .set({ auth_time: new Date(h.clock.now().getTime() - 61 * MINUTE) })
      .where('id', '=', user.sessionId)
      .execute();
    const stale = await rejectsWith(
      start(c.as(user.accessToken), { intent: OidcIntent.LINK }),
      Code.FailedPrecondition,
    );
    assert.match(stale.rawMessage, /Reauthenticate/);
  });

  test('a link is finished only by the account that started it', async () => {
    const victim = await seedUser(h);
    const attacker = await seedUser(h);
    const sub = person('yuri');
    const { providerId, started } = await start(caller().as(attacker.accessToken), {
      intent: OidcIntent.LINK,
    });
    const callback = await authorize(started, sub);
    // The victim's app receives the redirect and finishes it in the victim's session.
    await rejectsWith(
      caller()
        .as(victim.accessToken)
        .finishOAuthLogin({ providerId, ...callback }),
      Code.Unauthenticated,
    );
    assert.equal(await identityOf(sub), undefined);
    assert.equal((await failureReasons()).at(-1), 'link_caller_mismatch');
  });

  test('an identity linked to one account cannot be linked to another', async () => {
    const first = await seedUser(h);
    const second = await seedUser(h);
    const sub = person('mika');
    const linked = await oidc(caller().as(first.accessToken), sub, { intent: OidcIntent.LINK });
    assert.equal(linked.result.case, 'linkedIdentity');

    await rejectsWith(
      oidc(caller().as(second.accessToken), sub, { intent: OidcIntent.LINK }),
      Code.FailedPrecondition,
    );
    assert.equal((await identityOf(sub))?.account_id, first.userId);
    assert.ok(!(await auditTypes(second.userId)).includes('oauth_linked'));
  });

  test("an account's only way to sign in cannot be unlinked", async () => {
    const c = caller();
    const sub = person('pia');
    const signedUp = await oidc(c.auth, sub);
    assert.equal(signedUp.result.case, 'tokens');
    const auth = c.as(signedUp.result.value.accessToken);

    await rejectsWith(auth.unlinkOAuthIdentity({ providerId: 'test' }), Code.FailedPrecondition);
    assert.equal((await identityOf(sub))?.account_id, signedUp.result.value.userId);
    await rejectsWith(auth.unlinkOAuthIdentity({ providerId: 'closed' }), Code.NotFound);
  });

  test('an identity is unlinked when a password is left; its next login is someone new', async () => {
    const c = caller();
    const user = await seedUser(h);
    const sub = person('quinn');
    const auth = c.as(user.accessToken);
    const linked = await oidc(auth, sub, { intent: OidcIntent.LINK });
    assert.equal(linked.result.case, 'linkedIdentity');

    await auth.unlinkOAuthIdentity({ providerId: 'test' });
    assert.equal(await identityOf(sub), undefined);
    const { account } = await auth.getAccount({});
    assert.deepEqual(account?.linkedIdentities, []);
    assert.equal((await auditTypes(user.userId)).at(-1), 'oauth_unlinked');
    await rejectsWith(auth.unlinkOAuthIdentity({ providerId: 'test' }), Code.NotFound);

    const login = await oidc(caller().auth, sub);
    assert.equal(login.accountCreated, true);
    assert.equal(login.result.case, 'tokens');
    assert.notEqual(login.result.value.userId, user.userId);
  });

  test('an account with TOTP gets an MFA challenge after an OIDC login, not tokens', async () => {
    const c = caller();
    const user = await seedUser(h);
    const auth = c.as(user.accessToken);
    const sub = person('tara');
    const linked = await oidc(auth, sub, { intent: OidcIntent.LINK });
    assert.equal(linked.result.case, 'linkedIdentity');
    const { secret } = await auth.enrollTotp({ currentPassword: user.password });
    await auth.confirmTotp({ totpCode: totpAt(secret, h.clock.now()) });

    const login = await oidc(caller().auth, sub);
    assert.equal(login.accountCreated, false);
    assert.equal(login.result.case, 'mfaChallenge');
    assert.ok(login.result.value.methods.includes(MfaMethod.TOTP));
    const sessions = await h.app.database.db
      .selectFrom('sessions')
      .select('id')
      .where('account_id', '=', user.userId)
      .execute();
    assert.deepEqual(
      sessions.map((s) => s.id),
      [user.sessionId],
    );

    // The next TOTP step: the confirmation's code cannot be replayed.
    h.clock.advance(30_000);
    const { tokens } = await caller().auth.completeMfa({
      challengeToken: login.result.value.challengeToken,
      factor: { case: 'totpCode', value: totpAt(secret, h.clock.now()) },
    });
    assert.equal(tokens?.userId, user.userId);
  });

  test('a disabled account cannot sign in with its identity', async () => {
    const sub = person('uma');
    const signedUp = await oidc(caller().auth, sub);
    assert.equal(signedUp.result.case, 'tokens');
    await h.app.database.db
      .updateTable('accounts')
      .set({ disabled_at: h.clock.now(), disabled_reason: 'test' })
      .where('id', '=', signedUp.result.value.userId)
      .execute();
    await rejectsWith(oidc(caller().auth, sub), Code.Unauthenticated);
    assert.equal((await failureReasons()).at(-1), 'account_disabled');
  });

  test('a suspended or banned account signs in with its identity to a restricted session only', async () => {
    const sub = person('zoe');
    const signedUp = await oidc(caller().auth, sub);
    assert.equal(signedUp.result.case, 'tokens');
    const userId = signedUp.result.value.userId;
    const restrictedLogin = async () => {
      const login = await oidc(caller().auth, sub);
      assert.equal(login.result.case, 'tokens');
      return login.result.value.restricted;
    };

    await publishModerationEvent(h, accountActioned(userId, 1n, { suspended: true }));
    assert.equal(await restrictedLogin(), true);

    await publishModerationEvent(h, accountActionReversed(userId, 2n));
    assert.equal(await restrictedLogin(), false);

    await publishModerationEvent(h, accountActioned(userId, 3n, { banned: true }));
    assert.equal(await restrictedLogin(), true);
  });
});
