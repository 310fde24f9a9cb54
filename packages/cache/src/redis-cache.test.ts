import assert from 'node:assert/strict';
import net from 'node:net';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { freePort, requireService, uniqueName, waitFor } from '@kith/testkit';
import { CacheUnavailableError } from './cache.js';
import { runCacheContract } from './cache-contract.js';
import { createRedisCache } from './redis-cache.js';
import { createRedisClient } from './redis-client.js';
import type { Redis } from './redis-client.js';

const redisUrl = await requireService('redis');
const filePrefix = uniqueName('kith_test_cache');

/** Rejects when `promise` has not settled within `ms`: "fails fast" rather than hangs. */
async function settlesWithin<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** A TCP relay to Redis that the test can cut, to stage a real outage. */
async function startRelay(target: URL, port: number) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(Number(target.port || 6379), target.hostname);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe.skipIf(redisUrl === undefined)('createRedisCache', () => {
  const url = redisUrl as string;
  let admin: Redis;

  beforeAll(async () => {
    admin = createRedisClient({ url });
    await admin.connect();
  });

  afterAll(async () => {
    const keys = await admin.keys(`${filePrefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  runCacheContract('redis', async () => {
    const cache = createRedisCache({ url, keyPrefix: uniqueName(filePrefix) });
    await cache.connect();
    return {
      cache,
      shortTtlMs: 100,
      advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    };
  });

  it('writes under its key prefix, and two prefixes do not see each other', async () => {
    const shared = createRedisClient({ url });
    const a = createRedisCache({ client: shared, keyPrefix: `${filePrefix}:a` });
    const b = createRedisCache({ client: shared, keyPrefix: `${filePrefix}:b` });
    await a.connect();
    await b.connect();
    await a.set('k', 'from-a', { ttlMs: 60_000 });
    assert.equal(await b.get('k'), null);
    assert.equal(await admin.get(`${filePrefix}:a:k`), 'from-a');
    const ttl = await admin.pttl(`${filePrefix}:a:k`);
    assert.ok(ttl > 0 && ttl <= 60_000, `ttl ${ttl}`);
    // close() leaves a shared client to its owner.
    await a.close();
    assert.equal(await b.get('k'), null);
    assert.equal(shared.status, 'ready');
    await shared.quit();
  });

  it('refuses commands before connect() instead of queueing them', async () => {
    const cache = createRedisCache({ url, keyPrefix: uniqueName(filePrefix) });
    await assert.rejects(cache.get('k'), CacheUnavailableError);
    await cache.close();
  });

  it('fails fast against an unreachable port', async () => {
    const cache = createRedisCache({
      url: 'redis://127.0.0.1:1',
      keyPrefix: uniqueName(filePrefix),
      maxPendingWhileDisconnected: 4,
    });
    try {
      await assert.rejects(settlesWithin(cache.connect(), 3000));
      const attempts = Array.from({ length: 50 }, (_, i) =>
        settlesWithin(cache.get(`k${i}`), 3000).then(
          () => 'resolved',
          (error: unknown) => error,
        ),
      );
      const outcomes = await Promise.all(attempts);
      assert.ok(outcomes.every((o) => o instanceof Error && !/still pending/.test(o.message)));
      const refusedAtOnce = outcomes.filter((o) => o instanceof CacheUnavailableError).length;
      assert.ok(refusedAtOnce >= 46, `only ${refusedAtOnce} refused without waiting`);
    } finally {
      await cache.close();
    }
  });

  it('during an outage fails fast with a bounded queue, then recovers', async () => {
    const target = new URL(url);
    const port = await freePort();
    let relay = await startRelay(target, port);
    const cache = createRedisCache({
      url: `redis://127.0.0.1:${port}${target.pathname}`,
      keyPrefix: uniqueName(filePrefix),
      maxPendingWhileDisconnected: 8,
    });
    try {
      await cache.connect();
      await cache.set('k', 'v', { ttlMs: 60_000 });

      await relay.stop();
      await waitFor(() => cache.client.status !== 'ready', { what: 'redis disconnect' });
      const outcomes = await Promise.all(
        Array.from({ length: 100 }, () =>
          settlesWithin(cache.get('k'), 3000).then(
            () => 'resolved',
            (error: unknown) => error,
          ),
        ),
      );
      assert.ok(outcomes.every((o) => o instanceof Error && !/still pending/.test(o.message)));
      const refusedAtOnce = outcomes.filter((o) => o instanceof CacheUnavailableError).length;
      assert.ok(refusedAtOnce >= 92, `only ${refusedAtOnce} refused without waiting`);

      relay = await startRelay(target, port);
      await waitFor(async () => (await cache.get('k').catch(() => null)) === 'v', {
        timeoutMs: 10_000,
        what: 'reconnect',
      });
    } finally {
      await cache.close();
      await relay.stop();
    }
  });
});
