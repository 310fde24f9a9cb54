import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, describe, test } from 'node:test';
import type { Bus } from '@kith/bus';
import { localPgliteHarness, natsHarness } from '@kith/bus/testing';
import type { BusHarness } from '@kith/bus/testing';
import { createMemoryCache, createRedisCache } from '@kith/cache';
import type { Cache } from '@kith/cache';
import { CredentialsRejectedError } from '@kith/context';
import type { Principal } from '@kith/context';
import { requireService } from '@kith/testkit';
import {
  API_KEY_INTROSPECT_SUBJECT,
  applyRevocation,
  createApiKeyAuthenticator,
  createRevocationCheck,
  encodeGrant,
  generateApiKeySecret,
  hashApiKey,
} from './index.js';
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
      t.after(() => cache.close());
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

const buses: [string, () => Promise<BusHarness | undefined>][] = [
  ['local bus', () => localPgliteHarness()],
  ['NATS', async () => (natsUrl ? natsHarness(natsUrl) : undefined)],
];

for (const [name, make] of buses) {
  describe(`API keys over the ${name}`, () => {
    const harnesses: BusHarness[] = [];
    after(async () => {
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
      const serving = await authBus.serve(API_KEY_INTROSPECT_SUBJECT, async (req) => {
        asked++;
        return encodeGrant(grants.get(new TextDecoder().decode(req.data)) ?? null);
      });
      let served = true;
      t.after(() => (served ? serving.stop() : undefined));
      const cache = createMemoryCache({ maxEntries: 100 });
      let now = 5_000;
      const authenticate = createApiKeyAuthenticator({
        cache,
        bus: serviceBus,
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
  });
}
