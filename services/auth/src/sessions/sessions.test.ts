import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { UserService } from '@kith/gen/kith/user/v1/user_pb.js';
import { userModule } from '@kith/user-service';
import { decodeProtectedHeader } from 'jose';
import { codeOf, seedUser, startAuthHarness, startSession } from '../testing/index.js';
import type { AuthHarness } from '../testing/index.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

describe('sessions and tokens', () => {
  let h: AuthHarness;
  /**
   * A call at the user service, a different service: NotFound (GetSettings of an account seeded
   * without a profile there) means auth let it through.
   */
  let userServiceAs: (token: string) => ReturnType<typeof createClient<typeof UserService>>;

  beforeAll(async () => {
    h = await startAuthHarness({ modules: [userModule] });
    userServiceAs = (token) =>
      createClient(
        UserService,
        createConnectTransport({
          baseUrl: h.url,
          httpVersion: '1.1',
          interceptors: [
            (next) => (req) => {
              req.header.set('authorization', `Bearer ${token}`);
              return next(req);
            },
          ],
        }),
      );
  });
  afterAll(() => h.stop());

  const atUserService = (token: string) => codeOf(userServiceAs(token).getSettings({}));
  const atAuth = (token: string) => codeOf(h.as(token).auth.listSessions({}));

  test('refresh rotates the pair; the new access token works at another service', async () => {
    const user = await seedUser(h);
    const { tokens } = await h.auth.refresh({ refreshToken: user.refreshToken });
    assert.ok(tokens);
    assert.notEqual(tokens.refreshToken, user.refreshToken);
    assert.equal(tokens.sessionId, user.sessionId);
    assert.equal(tokens.tokenType, 'Bearer');
    assert.equal(await atUserService(tokens.accessToken), Code.NotFound);
    assert.equal(await atAuth(tokens.accessToken), 'ok');
  });

  test('a rotated refresh token presented again revokes the whole family, audited', async () => {
    const user = await seedUser(h);
    const first = (await h.auth.refresh({ refreshToken: user.refreshToken })).tokens!;
    h.clock.advance(MINUTE);
    // The thief replays the old token after the grace window.
    assert.equal(
      await codeOf(h.auth.refresh({ refreshToken: user.refreshToken })),
      Code.Unauthenticated,
    );
    // The legitimate successor is dead too, and so is the session's access token, everywhere.
    assert.equal(
      await codeOf(h.auth.refresh({ refreshToken: first.refreshToken })),
      Code.Unauthenticated,
    );
    assert.equal(await atUserService(first.accessToken), Code.Unauthenticated);
    const audit = await h.app.database.db
      .selectFrom('audit_events')
      .select(['type', 'session_id'])
      .where('account_id', '=', user.userId)
      .where('type', '=', 'refresh_token_reused')
      .execute();
    assert.deepEqual(audit, [{ type: 'refresh_token_reused', session_id: user.sessionId }]);
  });

  test('a client racing itself within the grace window gets no tokens but keeps its session', async () => {
    const user = await seedUser(h);
    const first = (await h.auth.refresh({ refreshToken: user.refreshToken })).tokens!;
    assert.equal(
      await codeOf(h.auth.refresh({ refreshToken: user.refreshToken })),
      Code.Unauthenticated,
    );
    assert.ok((await h.auth.refresh({ refreshToken: first.refreshToken })).tokens);
  });

  test('concurrent refreshes with one token yield exactly one successor', async () => {
    const user = await seedUser(h);
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () => h.auth.refresh({ refreshToken: user.refreshToken })),
    );
    const winners = results.filter((r) => r.status === 'fulfilled');
    assert.equal(winners.length, 1);
    for (const r of results) {
      if (r.status === 'rejected')
        assert.equal(ConnectError.from(r.reason).code, Code.Unauthenticated);
    }
    const rows = await h.app.database.db
      .selectFrom('refresh_tokens')
      .select('id')
      .where('session_id', '=', user.sessionId)
      .execute();
    assert.equal(rows.length, 2, 'the original and one successor');
  });

  test('refresh tokens expire after 30 idle days and 90 days in all', async () => {
    const idle = await seedUser(h);
    h.clock.advance(31 * DAY);
    assert.equal(
      await codeOf(h.auth.refresh({ refreshToken: idle.refreshToken })),
      Code.Unauthenticated,
    );

    const busy = await seedUser(h);
    let refreshToken = busy.refreshToken;
    for (let day = 20; day < 90; day += 20) {
      h.clock.advance(20 * DAY);
      refreshToken = (await h.auth.refresh({ refreshToken })).tokens!.refreshToken;
    }
    h.clock.advance(20 * DAY);
    assert.equal(await codeOf(h.auth.refresh({ refreshToken })), Code.Unauthenticated);
  });

  test('access tokens live 10 minutes', async () => {
    const user = await seedUser(h);
    h.clock.advance(9 * MINUTE);
    assert.equal(await atUserService(user.accessToken), Code.NotFound);
    h.clock.advance(2 * MINUTE);
    assert.equal(await atUserService(user.accessToken), Code.Unauthenticated);
  });

  test('logout-all invalidates access tokens at another service immediately', async () => {
    const user = await seedUser(h);
    const phone = (await h.auth.refresh({ refreshToken: user.refreshToken })).tokens!;
    const laptop = await startSession(h, user, { userAgent: 'laptop' });
    assert.equal(await atUserService(laptop.accessToken), Code.NotFound);
    const { revokedSessions } = await h.as(phone.accessToken).auth.logoutAll({});
    assert.equal(revokedSessions, 2);
    // No clock movement, no waiting: the next call at another service is refused.
    assert.equal(await atUserService(laptop.accessToken), Code.Unauthenticated);
    assert.equal(await atUserService(phone.accessToken), Code.Unauthenticated);
    assert.equal(
      await codeOf(h.auth.refresh({ refreshToken: laptop.refreshToken })),
      Code.Unauthenticated,
    );
    // Signing in again in the same second works: the new token is not born revoked.
    const again = await startSession(h, user, { userAgent: 'laptop' });
    assert.equal(await atUserService(again.accessToken), Code.NotFound);
  });

  test('logout-all can keep the calling session', async () => {
    const user = await seedUser(h);
    const other = await seedUser(h);
    const second = await startSession(h, user, { userAgent: 'tablet' });
    const { revokedSessions } = await h
      .as(user.accessToken)
      .auth.logoutAll({ keepCurrentSession: true });
    assert.equal(revokedSessions, 1);
    assert.equal(await atAuth(user.accessToken), 'ok');
    assert.equal(await atAuth(second.accessToken), Code.Unauthenticated);
    assert.equal(await atAuth(other.accessToken), 'ok', 'another user is untouched');
  });

  test('logout ends the session at once', async () => {
    const user = await seedUser(h);
    await h.as(user.accessToken).auth.logout({});
    assert.equal(await atUserService(user.accessToken), Code.Unauthenticated);
    assert.equal(
      await codeOf(h.auth.refresh({ refreshToken: user.refreshToken })),
      Code.Unauthenticated,
    );
  });

  test('sessions are listed per user, paginated, and cannot be revoked by anyone else', async () => {
    const ana = await seedUser(h, { userAgent: 'ana-phone' });
    const bob = await seedUser(h);
    h.clock.advance(1000);
    await startSession(h, ana, {
      ip: '198.51.100.9',
      userAgent: 'ana-laptop',
      deviceLabel: 'Laptop',
    });
    const client = h.as(ana.accessToken).auth;
    const first = await client.listSessions({ pageSize: 1 });
    assert.equal(first.sessions.length, 1);
    assert.equal(first.sessions[0]!.userAgent, 'ana-laptop');
    assert.equal(first.sessions[0]!.deviceLabel, 'Laptop');
    assert.equal(first.sessions[0]!.ipAddress, '198.51.100.9');
    assert.ok(first.nextPageToken);
    const second = await client.listSessions({ pageSize: 1, pageToken: first.nextPageToken });
    assert.equal(second.sessions.length, 1);
    assert.equal(second.sessions[0]!.sessionId, ana.sessionId);
    assert.equal(second.sessions[0]!.current, true);
    assert.equal(second.nextPageToken, '');
    // Bob can neither replay Ana's page token nor see or revoke her sessions.
    assert.equal(
      await codeOf(
        h.as(bob.accessToken).auth.listSessions({ pageSize: 1, pageToken: first.nextPageToken }),
      ),
      Code.InvalidArgument,
    );
    const bobs = await h.as(bob.accessToken).auth.listSessions({});
    assert.deepEqual(
      bobs.sessions.map((s) => s.sessionId),
      [bob.sessionId],
    );
    assert.equal(
      await codeOf(h.as(bob.accessToken).auth.revokeSession({ sessionId: ana.sessionId })),
      Code.NotFound,
    );
    assert.equal(await atAuth(ana.accessToken), 'ok');
    await client.revokeSession({ sessionId: first.sessions[0]!.sessionId });
    assert.equal((await client.listSessions({})).sessions.length, 1);
  });

  test('JWKS over RPC and HTTP agree, and name the key that signs', async () => {
    const user = await seedUser(h);
    const rpc = await h.auth.getJwks({});
    const res = await fetch(`${h.url}/.well-known/jwks.json`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/jwk-set+json');
    const http = (await res.json()) as { keys: { kid: string; d?: string }[] };
    assert.deepEqual(http, JSON.parse(rpc.jwksJson));
    assert.ok(
      http.keys.every((k) => k.d === undefined),
      'no private parts',
    );
    const header = decodeProtectedHeader(user.accessToken);
    assert.equal(header.typ, 'at+jwt');
    assert.equal(header.alg, 'EdDSA');
    assert.ok(http.keys.some((k) => k.kid === header.kid));
    assert.equal(http.keys.length, 2, 'the current key and the next one, published before use');
  });

  test('signing keys rotate without breaking tokens in flight', async () => {
    h.clock.advance(31 * DAY);
    // Minted just before the rotation runs: still in flight afterwards.
    const inFlight = await seedUser(h);
    const oldKid = decodeProtectedHeader(inFlight.accessToken).kid;
    const nextKid = (await h.app.keys.jwks()).keys.find((k) => k.kid !== oldKid)!.kid;
    await h.app.keys.maintain();
    const after = await seedUser(h);
    assert.equal(
      decodeProtectedHeader(after.accessToken).kid,
      nextKid,
      'the published next key signs',
    );
    const kids = (await h.app.keys.jwks()).keys.map((k) => k.kid);
    assert.ok(kids.includes(oldKid!), 'the retired key stays published');
    assert.equal(kids.length, 3, 'retired, current and a new next');
    assert.equal(await atUserService(inFlight.accessToken), Code.NotFound);
    assert.equal(await atUserService(after.accessToken), Code.NotFound);
    h.clock.advance(16 * MINUTE);
    await h.app.keys.maintain();
    assert.ok(
      !(await h.app.keys.jwks()).keys.some((k) => k.kid === oldKid),
      'dropped once no token needs it',
    );
    const later = await seedUser(h);
    assert.equal(await atUserService(later.accessToken), Code.NotFound);
  });
});
