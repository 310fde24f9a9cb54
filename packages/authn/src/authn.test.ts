import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { afterAll, describe, test } from 'vitest';
import type { Bus } from '@kith/bus';
import { localPgliteHarness, natsHarness } from '@kith/bus/testing';
import type { BusHarness } from '@kith/bus/testing';
import { createMemoryCache, createRedisCache } from '@kith/cache';
import type { Cache } from '@kith/cache';
import { CredentialsRejectedError } from '@kith/context';
import type { Principal } from '@kith/context';
import { requireService } from '@kith/testkit';
import { createLocalJWKSet, exportJWK } from 'jose';
import type { JWTVerifyGetKey } from 'jose';
import {
  API_KEY_INTROSPECT_SUBJECT,
  apiKeyCacheKey,
  applyRevocation,
  createApiKeyAuthenticator,
  createRevocationCheck,
  generateApiKeySecret,
  hashApiKey,
  INTROSPECT_NONCE_HEADER,
  signGrant,
} from './index.js';
import type { GrantSigningKey } from './index.js';
import type { ApiKeyGrant } from './index.js';

const redisUrl = await requireService('redis');
const natsUrl = await requireService('nats');

const caches: [string, () => Promise<Cache | undefined>][] = [
  ['memory', async () => createMemoryCache({ maxEntries: 1000 })],
  [
    'redis',
    async () => {
      if (!redisUrl) return undefined;
      const cache = createRedisCache({
        url: redisUrl,
        keyPrefix: `authn-test-${crypto.randomBytes(4).toString('hex')}`,
      });
      await cache.connect();
      return cache;
    },
  ],
];

const token = (over: Partial<Principal> = {}): Principal => ({
  userId: 'u1',
  sessionId: 's1',
  role: 'user',
  via: 'access_token',
  scopes: ['*'],
  issuedAt: 1_000,
  ...over,
});

for (const [name, make] of caches) {
  describe(`revocations on the ${name} cache`, () => {
    test('tokens issued before tokens_valid_after, or of a revoked session, are revoked', async (t) => {
      const cache = await make();
      if (!cache) return t.skip('REDIS_URL is not set');
      t.onTestFinished(() => cache.close());
      const isRevoked = createRevocationCheck(cache);
      assert.equal(await isRevoked(token()), false);
      await applyRevocation(
        { revocations: cache, apiKeyGrants: cache },
        { kind: 'user', userId: 'u1', validAfter: 1_001 },
      );
      assert.equal(await isRevoked(token()), true, 'iat 1000 < 1001');
      assert.equal(await isRevoked(token({ issuedAt: 1_001 })), false, 'issued at the bound');
      assert.equal(await isRevoked(token({ userId: 'u2' })), false, 'other users untouched');
      // An older announcement arriving late never moves the bound back.
      await applyRevocation(
        { revocations: cache, apiKeyGrants: cache },
        { kind: 'user', userId: 'u1', validAfter: 900 },
      );
      assert.equal(await isRevoked(token()), true);
      await applyRevocation(
        { revocations: cache, apiKeyGrants: cache },
        { kind: 'session', sessionId: 's9' },
      );
      assert.equal(await isRevoked(token({ sessionId: 's9', issuedAt: 5_000 })), true);
      assert.equal(await isRevoked(token({ sessionId: 's8', issuedAt: 5_000 })), false);
    });
  });
}

/** An Ed25519 signing key and the key set (JWKS) that trusts it, as auth publishes it. */
async function signingKey(kid: string): Promise<{ key: GrantSigningKey; keys: JWTVerifyGetKey }> {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  return {
    key: { kid, alg: 'EdDSA', privateKey },
    keys: createLocalJWKSet({ keys: [jwk] }),
  };
}

const buses: [string, () => Promise<BusHarness | undefined>][] = [
  ['local bus', () => localPgliteHarness()],
  ['NATS', async () => (natsUrl ? natsHarness(natsUrl) : undefined)],
];

for (const [name, make] of buses) {
  describe(`API keys over the ${name}`, () => {
    const harnesses: BusHarness[] = [];
    afterAll(async () => {
      for (const h of harnesses) await h.teardown();
    });

    test('a key is introspected once through auth, scoped, and dropped when revoked', async (t) => {
      const harness = await make();
      if (!harness) return t.skip('NATS_URL is not set');
      harnesses.push(harness);
      const authBus: Bus = await harness.createBus();
      // The local bus is one process's bus; over NATS the two sides are separate connections.
      const serviceBus: Bus = name === 'NATS' ? await harness.createBus() : authBus;
      const secret = generateApiKeySecret();
      const grants = new Map<string, ApiKeyGrant>([
        [
          hashApiKey(secret),
          { apiKeyId: 'k1', userId: 'u1', role: 'user', scopes: ['sos:raise'], expiresAt: 10_000 },
        ],
      ]);
      let asked = 0;
      const auth = await signingKey('auth-key');
      // Its own subject: other processes on a shared NATS server answer the real one.
      const subject = `${harness.ns}.${API_KEY_INTROSPECT_SUBJECT}`;
      const serving = await authBus.serve(subject, async (req) => {
        asked++;
        const keyHash = new TextDecoder().decode(req.data);
        const nonce = req.headers[INTROSPECT_NONCE_HEADER] ?? '';
        return signGrant(grants.get(keyHash) ?? null, { keyHash, nonce }, auth.key, new Date());
      });
      let served = true;
      t.onTestFinished(() => (served ? serving.stop() : undefined));
      const cache = createMemoryCache({ maxEntries: 100 });
      let now = 5_000;
      const authenticate = createApiKeyAuthenticator({
        cache,
        bus: serviceBus,
        keys: auth.keys,
        subject,
        now: () => new Date(now),
      });
      const headers = (value: string) => new Headers({ authorization: `Bearer ${value}` });

      assert.equal(await authenticate(new Headers()), undefined, 'no key: not my business');
      assert.equal(await authenticate(headers('eyJhbGciOi.x.y')), undefined, 'a JWT is not a key');
      const principal = await authenticate(headers(secret));
      assert.deepEqual(principal, {
        userId: 'u1',
        role: 'user',
        via: 'api_key',
        scopes: ['sos:raise'],
        issuedAt: 5,
        apiKeyId: 'k1',
      });
      await authenticate(new Headers({ 'x-api-key': secret }));
      assert.equal(asked, 1, 'the grant is cached');

      await assert.rejects(authenticate(headers(generateApiKeySecret())), /unknown/);
      await assert.rejects(authenticate(headers('kith_ak_short')), /malformed/);

      grants.clear();
      await applyRevocation(
        { revocations: cache, apiKeyGrants: cache },
        { kind: 'api_key', keyHash: hashApiKey(secret) },
      );
      await assert.rejects(authenticate(headers(secret)), /unknown, revoked or expired/);

      grants.set(hashApiKey(secret), {
        apiKeyId: 'k1',
        userId: 'u1',
        role: 'user',
        scopes: [],
        expiresAt: 6_000,
      });
      await applyRevocation(
        { revocations: cache, apiKeyGrants: cache },
        { kind: 'api_key', keyHash: hashApiKey(secret) },
      );
      now = 6_000;
      await assert.rejects(authenticate(headers(secret)), /expired/, 'expiry by the clock');

      // Auth not answering is not a bad key: the error says so (the caller answers Unavailable).
      await serving.stop();
      served = false;
      await assert.rejects(authenticate(headers(generateApiKeySecret())), (err: unknown) => {
        assert.ok(!(err instanceof CredentialsRejectedError), String(err));
        return true;
      });
    });

    test('a grant not signed by auth for this very request is refused and never cached', async (t) => {
      const harness = await make();
      if (!harness) return t.skip('NATS_URL is not set');
      harnesses.push(harness);
      const rogueBus: Bus = await harness.createBus();
      const serviceBus: Bus = name === 'NATS' ? await harness.createBus() : rogueBus;
      const auth = await signingKey('auth-key');
      const rogue = await signingKey('auth-key');
      const secret = generateApiKeySecret();
      const keyHash = hashApiKey(secret);
      const admin: ApiKeyGrant = {
        apiKeyId: 'k-admin',
        userId: 'u-admin',
        role: 'admin',
        scopes: ['sos:raise'],
        expiresAt: null,
      };
      // A genuine answer auth once gave for this key, to another asker.
      const captured = await signGrant(admin, { keyHash, nonce: 'theirs' }, auth.key, new Date());
      const answers: Record<string, (nonce: string) => Promise<Uint8Array>> = {
        'plain JSON': async () => new TextEncoder().encode(JSON.stringify(admin)),
        'signed with another key under auth’s kid': (nonce) =>
          signGrant(admin, { keyHash, nonce }, rogue.key, new Date()),
        'a genuine answer replayed': async () => captured,
        'a genuine answer for another key': (nonce) =>
          signGrant(
            admin,
            { keyHash: hashApiKey(generateApiKeySecret()), nonce },
            auth.key,
            new Date(),
          ),
      };
      let answer: (nonce: string) => Promise<Uint8Array> = answers['plain JSON']!;
      const subject = `${harness.ns}.${API_KEY_INTROSPECT_SUBJECT}`;
      const serving = await rogueBus.serve(subject, (req) =>
        answer(req.headers[INTROSPECT_NONCE_HEADER] ?? ''),
      );
      t.onTestFinished(() => serving.stop());
      const cache = createMemoryCache({ maxEntries: 100 });
      const authenticate = createApiKeyAuthenticator({
        cache,
        bus: serviceBus,
        keys: auth.keys,
        subject,
      });
      for (const [kind, respond] of Object.entries(answers)) {
        answer = respond;
        await assert.rejects(
          authenticate(new Headers({ 'x-api-key': secret })),
          { name: 'UntrustedGrantError' },
          kind,
        );
        assert.equal(await cache.get(apiKeyCacheKey(keyHash)), null, kind);
      }
      // The same request answered by auth itself is believed.
      answer = (nonce) => signGrant(admin, { keyHash, nonce }, auth.key, new Date());
      assert.equal((await authenticate(new Headers({ 'x-api-key': secret })))?.role, 'admin');
    });
  });
}
