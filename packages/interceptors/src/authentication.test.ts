import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { ConnectError } from '@connectrpc/connect';
import { Code, createClient, createContextValues } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { principalKey, RESTRICTED_SCOPE } from '@kith/context';
import type { Principal } from '@kith/context';
import { PermissionDeniedError, UnauthenticatedError } from '@kith/errors';
import { SignJWT, createLocalJWKSet, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import type { JWK, JWTPayload } from 'jose';
import {
  createAuthenticationInterceptor,
  RESTRICTED_SESSION_MESSAGE,
  requirePrincipal,
  requireRole,
} from './authentication.js';
import { createErrorMappingInterceptor } from './error-mapping.js';
import { bearerAuthenticator, createJwtVerifier } from './jwt.js';
import { EchoService, captureLogger, startEchoServer } from './test-service.js';
import type { EchoServer } from './test-service.js';

const ISS = 'https://auth.kith.test';
const AUD = 'kith';
const NOW = new Date('2026-11-23T12:00:00Z');
const nowSec = Math.floor(NOW.getTime() / 1000);

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;
type Key = {
  privateKey: KeyPair['privateKey'];
  publicKey: KeyPair['publicKey'];
  publicJwk: JWK;
  kid: string;
  alg: 'EdDSA' | 'ES256';
};
async function makeKey(alg: 'EdDSA' | 'ES256', kid: string): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return {
    privateKey,
    publicKey,
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg },
    kid,
    alg,
  };
}

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

const claims = (over: JWTPayload = {}): JWTPayload => ({
  iss: ISS,
  aud: AUD,
  sub: 'user-1',
  sid: 'session-1',
  role: 'moderator',
  auth_time: nowSec - 120,
  iat: nowSec - 60,
  exp: nowSec + 540,
  ...over,
});

async function sign(
  key: Key,
  payload: JWTPayload = claims(),
  header: Record<string, unknown> = {},
) {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header })
    .sign(key.privateKey);
}

describe('access token verification and authentication', () => {
  let ed: Key;
  let es: Key;
  let attacker: Key;
  let server: EchoServer;
  let verify: (token: string) => Promise<Principal>;
  let jkuHits = 0;
  let jkuServer: http.Server;
  let jkuUrl: string;
  const revoked = new Set<string>();
  const { logger } = captureLogger();

  beforeAll(async () => {
    ed = await makeKey('EdDSA', 'ed-1');
    es = await makeKey('ES256', 'es-1');
    attacker = await makeKey('EdDSA', 'ed-1');
    jkuServer = http.createServer((_req, res) => {
      jkuHits++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [attacker.publicJwk] }));
    });
    await new Promise<void>((resolve) => jkuServer.listen(0, '127.0.0.1', resolve));
    jkuUrl = `http://127.0.0.1:${(jkuServer.address() as AddressInfo).port}/jwks.json`;
    verify = createJwtVerifier({
      jwks: createLocalJWKSet({ keys: [ed.publicJwk, es.publicJwk] }),
      issuer: ISS,
      audience: AUD,
      now: () => NOW,
    });
    server = await startEchoServer([
      createErrorMappingInterceptor({ logger }),
      createAuthenticationInterceptor({
        authenticators: [
          // Stands for a verifier whose backing store is down (cache, bus, key set).
          async (headers) => {
            if (headers.get('x-store') === 'down') throw new Error('ECONNREFUSED');
            return undefined;
          },
          // A stand-in API key authenticator: keys name their scopes after the prefix.
          async (headers) => {
            const key = headers.get('x-api-key');
            if (key === null) return undefined;
            const scopes = key.replace(/^key:/, '').split(',').filter(Boolean);
            return { userId: 'key-owner', role: 'user', via: 'api_key', scopes, issuedAt: 0 };
          },
          bearerAuthenticator(verify),
        ],
        publicMethods: new Set(['kith.test.v1.EchoService/Public']),
        isRevoked: async (p) => revoked.has(p.sessionId ?? ''),
        apiKeyScopes: new Map([['kith.test.v1.EchoService/Whoami', 'profile:read']]),
        restrictedMethods: new Set(['kith.test.v1.EchoService/Echo']),
      }),
    ]);
  });
  afterAll(async () => {
    await server.stop();
    await new Promise((resolve) => jkuServer.close(resolve));
  });

  const whoami = (token?: string) =>
    createClient(EchoService, createGrpcTransport({ baseUrl: server.url })).whoami(
      {},
      token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
    );

  it('accepts EdDSA and ES256 access tokens and maps their claims', async () => {
    assert.equal((await whoami(await sign(ed))).text, 'user-1');
    assert.equal((await whoami(await sign(es, claims({ sub: 'user-2' })))).text, 'user-2');
    assert.deepEqual(await verify(await sign(ed, claims({ scope: 'posts:read posts:write' }))), {
      userId: 'user-1',
      sessionId: 'session-1',
      role: 'moderator',
      via: 'access_token',
      scopes: ['posts:read', 'posts:write'],
      issuedAt: nowSec - 60,
      expiresAt: nowSec + 540,
      authTime: nowSec - 120,
    });
    assert.deepEqual((await verify(await sign(ed, claims({ role: undefined })))).scopes, ['*']);
  });

  it('rejects forged, misdirected, stale and unsafe tokens with a bare Unauthenticated', async () => {
    // The classic key-confusion attack: the published public key used as an HMAC secret.
    const hmacSecret = new TextEncoder().encode(await exportSPKI(ed.publicKey));
    const bad: Record<string, string> = {
      'alg none': `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims())}.`,
      'HS256 with the public key as secret': await new SignJWT(claims())
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'ed-1' })
        .sign(hmacSecret),
      'wrong typ': await sign(ed, claims(), { typ: 'JWT' }),
      'wrong iss': await sign(ed, claims({ iss: 'https://evil.test' })),
      'wrong aud': await sign(ed, claims({ aud: 'other-service' })),
      expired: await sign(ed, claims({ iat: nowSec - 3600, exp: nowSec - 60 })),
      'future nbf': await sign(ed, claims({ nbf: nowSec + 120 })),
      'unknown kid': await sign(ed, claims(), { kid: 'nope' }),
      'signed by another key with the same kid': await sign(attacker),
      'jku header': await sign(attacker, claims(), { jku: jkuUrl }),
      'jwk header': await sign(attacker, claims(), { jwk: attacker.publicJwk }),
      'x5u header': await sign(attacker, claims(), { x5u: jkuUrl }),
      'jku on a validly signed token': await sign(ed, claims(), { jku: jkuUrl }),
      'bad role': await sign(ed, claims({ role: 'root' })),
      'auth_time not a number': await sign(ed, claims({ auth_time: 'yesterday' })),
      garbage: 'not.a.jwt',
    };
    for (const [name, token] of Object.entries(bad)) {
      await assert.rejects(verify(token), `verifier accepted: ${name}`);
      await assert.rejects(whoami(token), (e: ConnectError) => {
        assert.equal(e.code, Code.Unauthenticated, name);
        assert.equal(e.rawMessage, 'unauthenticated', name);
        assert.deepEqual(e.details, [], name);
        return true;
      });
    }
    assert.equal(jkuHits, 0, 'no key URL named by a token was fetched');
  });

  it('tolerates small clock skew only', async () => {
    assert.equal((await verify(await sign(ed, claims({ exp: nowSec - 3 })))).userId, 'user-1');
    assert.equal((await verify(await sign(ed, claims({ nbf: nowSec + 3 })))).userId, 'user-1');
    await assert.rejects(verify(await sign(ed, claims({ exp: nowSec - 10 }))));
  });

  it('requires credentials except on public methods', async () => {
    await assert.rejects(whoami(), (e: ConnectError) => e.code === Code.Unauthenticated);
    const client = createClient(EchoService, createGrpcTransport({ baseUrl: server.url }));
    assert.equal((await client.public({ text: 'hi' })).text, 'hi');
    // A stale token on a public method does not lock the caller out (e.g. Login).
    const expired = await sign(ed, claims({ exp: nowSec - 600, iat: nowSec - 1200 }));
    assert.equal(
      (await client.public({ text: 'hi' }, { headers: { authorization: `Bearer ${expired}` } }))
        .text,
      'hi',
    );
  });

  it('lets an API key call only the methods its scopes name', async () => {
    const withKey = (key: string) =>
      createClient(EchoService, createGrpcTransport({ baseUrl: server.url })).whoami(
        {},
        { headers: { 'x-api-key': key } },
      );
    assert.equal((await withKey('key:profile:read')).text, 'key-owner');
    await assert.rejects(withKey('key:posts:read,sos:raise'), (e: ConnectError) => {
      assert.equal(e.code, Code.PermissionDenied);
      return true;
    });
    // A method with no scope listed refuses every key, however broad.
    const client = createClient(EchoService, createGrpcTransport({ baseUrl: server.url }));
    await assert.rejects(
      client.echo({ text: 'x' }, { headers: { 'x-api-key': 'key:profile:read,profile:write' } }),
      (e: ConnectError) => e.code === Code.PermissionDenied,
    );
  });

  it('answers Unavailable, not Unauthenticated, when credentials cannot be checked', async () => {
    const client = createClient(EchoService, createGrpcTransport({ baseUrl: server.url }));
    await assert.rejects(
      client.whoami({}, { headers: { 'x-store': 'down' } }),
      (e: ConnectError) => {
        assert.equal(e.code, Code.Unavailable);
        return true;
      },
    );
    // A public method goes on anonymously: nothing it does depends on who the caller is.
    assert.equal(
      (await client.public({ text: 'hi' }, { headers: { 'x-store': 'down' } })).text,
      'hi',
    );
  });

  it('rejects a token whose session was revoked', async () => {
    const token = await sign(ed, claims({ sid: 'session-revoked' }));
    assert.equal((await whoami(token)).text, 'user-1');
    revoked.add('session-revoked');
    await assert.rejects(whoami(token), (e: ConnectError) => e.code === Code.Unauthenticated);
  });

  it('lets a restricted session call only the restricted methods, and reads public ones anonymously', async () => {
    const restricted = await sign(ed, claims({ scope: RESTRICTED_SCOPE }));
    const headers = { authorization: `Bearer ${restricted}` };
    const client = createClient(EchoService, createGrpcTransport({ baseUrl: server.url }));
    assert.equal((await client.echo({ text: 'appeal' }, { headers })).text, 'appeal');
    await assert.rejects(whoami(restricted), (e: ConnectError) => {
      assert.equal(e.code, Code.PermissionDenied);
      assert.equal(e.rawMessage, RESTRICTED_SESSION_MESSAGE);
      return true;
    });
    // The same account's full token (no scope claim) is not held back.
    assert.equal((await whoami(await sign(ed))).text, 'user-1');

    // On a public method it is nobody: what it answers a signed-in caller stays out of reach.
    const open = await startEchoServer([
      createErrorMappingInterceptor({ logger }),
      createAuthenticationInterceptor({
        authenticators: [bearerAuthenticator(verify)],
        publicMethods: new Set(['kith.test.v1.EchoService/Whoami']),
        restrictedMethods: new Set(),
      }),
    ]);
    try {
      const openClient = createClient(EchoService, createGrpcTransport({ baseUrl: open.url }));
      assert.equal((await openClient.whoami({}, { headers })).text, 'anonymous');
      const full = { authorization: `Bearer ${await sign(ed)}` };
      assert.equal((await openClient.whoami({}, { headers: full })).text, 'user-1');
    } finally {
      await open.stop();
    }
  });

  it('requireRole orders user < triage < moderator < admin', () => {
    const ctx = (role?: Principal['role']) => ({
      values: createContextValues().set(
        principalKey,
        role && { userId: 'u', role, via: 'access_token', scopes: ['*'], issuedAt: 0 },
      ),
    });
    assert.throws(() => requirePrincipal(ctx()), UnauthenticatedError);
    assert.equal(requireRole(ctx('moderator'), 'triage').role, 'moderator');
    assert.equal(requireRole(ctx('admin'), 'moderator').role, 'admin');
    assert.throws(() => requireRole(ctx('triage'), 'moderator'), PermissionDeniedError);
    assert.throws(() => requireRole(ctx('user'), 'triage'), PermissionDeniedError);
  });
});

describe('recently verified tokens', () => {
  it('are answered from memory only while their key would still verify them and never past exp', async () => {
    const key = await makeKey('EdDSA', 'ed-cache');
    let keys: JWK[] = [key.publicJwk];
    let clock = NOW;
    let lookups = 0;
    const verify = createJwtVerifier({
      jwks: (header, token) => {
        lookups++;
        return createLocalJWKSet({ keys })(header, token);
      },
      issuer: ISS,
      audience: AUD,
      now: () => clock,
      cache: { maxEntries: 2, maxAgeMs: 60_000 },
    });
    const token = await sign(key);
    const first = await verify(token);
    assert.deepEqual(await verify(token), first);
    assert.equal(lookups, 1, 'the second call did not check the signature again');
    // A caller changing what it got changes nothing for the next call.
    ((await verify(token)).scopes as string[]).push('admin:all');
    assert.deepEqual((await verify(token)).scopes, ['*']);

    // The key leaves the set: still accepted within a minute of the check, refused after.
    keys = [];
    clock = new Date(NOW.getTime() + 59_000);
    assert.equal((await verify(token)).userId, 'user-1');
    clock = new Date(NOW.getTime() + 61_000);
    await assert.rejects(verify(token));

    // Past exp (with the 5 s tolerance jose allows) a cached token is refused at once.
    keys = [key.publicJwk];
    clock = NOW;
    const short = await sign(key, claims({ exp: nowSec + 20 }));
    await verify(short);
    clock = new Date(NOW.getTime() + 24_000);
    assert.equal((await verify(short)).userId, 'user-1');
    clock = new Date(NOW.getTime() + 25_000);
    await assert.rejects(verify(short));

    // At most maxEntries: the oldest is checked again.
    clock = NOW;
    const [a, b, c] = await Promise.all([1, 2, 3].map((n) => sign(key, claims({ sub: `u${n}` }))));
    for (const t of [a!, b!, c!]) await verify(t);
    const before = lookups;
    await verify(c!);
    await verify(b!);
    assert.equal(lookups, before);
    await verify(a!);
    assert.equal(lookups, before + 1);
  });
});
