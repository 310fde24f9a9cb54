import assert from 'node:assert/strict';
import http from 'node:http';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { Code, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { UserService } from '@kith/gen/kith/user/v1/user_pb.js';
import { userModule } from '@kith/user-service';
import { SignJWT, decodeJwt, exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'jose';
import { codeOf, seedUser, startAuthHarness } from '../testing/index.js';
import type { AuthHarness } from '../testing/index.js';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Tokens an attacker might forge or replay, presented at ANOTHER service (the user service)
 * hosting the real verifier with the auth service's real published keys.
 */
describe('forged and misused tokens are refused at every service', () => {
  let h: AuthHarness;
  let keyServer: http.Server;
  let keyServerHits = 0;
  let keyUrl = '';

  beforeAll(async () => {
    h = await startAuthHarness({ modules: [userModule] });
    keyServer = http.createServer((_req, res) => {
      keyServerHits++;
      res.end('{"keys":[]}');
    });
    await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
    const address = keyServer.address();
    keyUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/jwks`;
  });
  afterAll(async () => {
    await h.stop();
    await new Promise((resolve) => keyServer.close(resolve));
  });

  // GetSettings of an account seeded without a profile at the user service: NotFound means the
  // token was let through (Unauthenticated when it was not).
  const atUserService = (token: string): Promise<Code | 'ok'> => {
    const client = createClient(
      UserService,
      createConnectTransport({ baseUrl: h.url, httpVersion: '1.1' }),
    );
    return codeOf(client.getSettings({}, { headers: { authorization: `Bearer ${token}` } }));
  };

  test('a genuine token passes (the baseline every case below departs from)', async () => {
    const user = await seedUser(h);
    assert.equal(await atUserService(user.accessToken), Code.NotFound);
  });

  test('alg none, HS256 with the published key, wrong typ/iss/aud, expired, future nbf, unknown kid, jku/jwk', async () => {
    const user = await seedUser(h);
    const genuine = decodeJwt(user.accessToken);
    const now = Math.floor(h.clock.now().getTime() / 1000);
    const published = (await h.app.keys.jwks()).keys[0]!;
    const attacker = await generateKeyPair('EdDSA', { extractable: true });
    const attackerJwk: JWK = { ...(await exportJWK(attacker.publicKey)), kid: published.kid };
    const current = await h.app.keys.current();
    type SigningKey = Parameters<SignJWT['sign']>[0];
    const sign = (claims: object, header: object = {}, key: SigningKey = current.privateKey) =>
      new SignJWT({ ...genuine, ...claims })
        .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: current.kid, ...header })
        .sign(key);
    // Key confusion: the public key, as published, used as an HMAC secret.
    const hmacSecret = new TextEncoder().encode(JSON.stringify(published));
    const forged: Record<string, string> = {
      'alg none': `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(genuine)}.`,
      'HS256 keyed with the published public key': await new SignJWT(genuine)
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: published.kid })
        .sign(hmacSecret),
      'HS256 keyed with the x coordinate': await new SignJWT(genuine)
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: published.kid })
        .sign(Buffer.from(published.x!, 'base64url')),
      'wrong typ': await sign({}, { typ: 'JWT' }),
      'wrong iss': await sign({ iss: 'https://evil.example' }),
      'wrong aud': await sign({ aud: 'another-app' }),
      expired: await sign({ iat: now - 3600, nbf: now - 3600, exp: now - 60 }),
      'nbf in the future': await sign({ nbf: now + 600, exp: now + 1200 }),
      'unknown kid': await sign({}, { kid: 'no-such-key' }),
      'signed by another key under a real kid': await sign({}, {}, attacker.privateKey),
      'jku header': await sign({}, { jku: keyUrl }, attacker.privateKey),
      'jwk header': await sign({}, { jwk: attackerJwk }, attacker.privateKey),
      'jku on a genuinely signed token': await sign({}, { jku: keyUrl }),
      // The genuine header and signature around a payload that claims admin.
      'role raised in a genuine token': (() => {
        const [header, , signature] = user.accessToken.split('.');
        return `${header}.${b64({ ...genuine, role: 'admin' })}.${signature}`;
      })(),
    };
    for (const [name, token] of Object.entries(forged)) {
      assert.equal(await atUserService(token), Code.Unauthenticated, name);
    }
    assert.equal(keyServerHits, 0, 'no key URL named by a token was ever fetched');
  });

  test('opaque credentials are not access tokens: refresh tokens and pre-MFA challenges', async () => {
    const user = await seedUser(h);
    assert.equal(await atUserService(user.refreshToken), Code.Unauthenticated);
    // A real pre-MFA challenge: a password login from a device this account has never used.
    const login = await h
      .withHeaders({ 'user-agent': 'a device never seen before' })
      .auth.login({ identifier: user.email, password: user.password });
    assert.equal(login.result.case, 'mfaChallenge');
    const challenge = login.result.value!.challengeToken;
    assert.equal(await atUserService(challenge), Code.Unauthenticated);
    assert.equal(await codeOf(h.as(challenge).auth.listSessions({})), Code.Unauthenticated);
  });
});
