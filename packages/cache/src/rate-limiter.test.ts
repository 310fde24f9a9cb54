import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { requireService, uniqueName } from '@kith/testkit';
import { createRateLimiter } from './rate-limiter.js';
import { runRateLimiterContract } from './rate-limiter-contract.js';
import { createRedisClient } from './redis-client.js';
import type { Redis } from './redis-client.js';

const redisUrl = await requireService('redis');

runRateLimiterContract('memory', (spec) => createRateLimiter({ store: 'memory', ...spec }));

describe.skipIf(redisUrl === undefined)('createRateLimiter on Redis', () => {
  const url = redisUrl as string;
  const filePrefix = uniqueName('kith_test_rl');
  let redis: Redis;
  let unreachable: Redis;

  beforeAll(async () => {
    redis = createRedisClient({ url });
    await redis.connect();
    // Never connected: rate-limiter-flexible sees it "not ready" and must not wait for it.
    unreachable = createRedisClient({ url: 'redis://127.0.0.1:1' });
  });

  afterAll(async () => {
    const keys = await redis.keys(`${filePrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    unreachable.disconnect();
  });

  runRateLimiterContract('redis', (spec) =>
    createRateLimiter({ ...spec, store: { redis }, keyPrefix: `${filePrefix}:${spec.keyPrefix}` }),
  );

  it('shares counts between limiters on the same Redis (replicas)', async () => {
    const keyPrefix = `${filePrefix}:shared`;
    const replicaA = createRateLimiter({ store: { redis }, keyPrefix, points: 2, durationSec: 60 });
    const replicaB = createRateLimiter({ store: { redis }, keyPrefix, points: 2, durationSec: 60 });
    assert.equal((await replicaA.consume('ip')).allowed, true);
    assert.equal((await replicaB.consume('ip')).allowed, true);
    assert.equal((await replicaA.consume('ip')).allowed, false);
    assert.ok((await redis.exists(`${keyPrefix}:ip`)) === 1);
  });

  it('falls back to counting in memory when Redis is down (default)', async () => {
    const rl = createRateLimiter({
      store: { redis: unreachable },
      keyPrefix: `${filePrefix}:insured`,
      points: 2,
      durationSec: 60,
    });
    assert.equal((await rl.consume('ip')).allowed, true);
    assert.equal((await rl.consume('ip')).allowed, true);
    const denied = await rl.consume('ip');
    assert.equal(denied.allowed, false);
    assert.ok(denied.retryAfterMs > 0);
    await rl.reset('ip');
    assert.equal((await rl.consume('ip')).allowed, true);
  });

  it('fails open or closed when configured to', async () => {
    const spec = { store: { redis: unreachable }, points: 1, durationSec: 60 } as const;
    const open = createRateLimiter({
      ...spec,
      keyPrefix: `${filePrefix}:open`,
      onStoreError: 'allow',
    });
    const closed = createRateLimiter({
      ...spec,
      keyPrefix: `${filePrefix}:closed`,
      onStoreError: 'deny',
    });
    for (let i = 0; i < 3; i++) assert.equal((await open.consume('ip')).allowed, true);
    const denied = await closed.consume('ip');
    assert.equal(denied.allowed, false);
    assert.equal(denied.retryAfterMs, 60_000);
  });
});
