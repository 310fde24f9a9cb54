import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { requireService, uniqueName } from '@kith/testkit';
import { createRateLimiter } from './rate-limiter.js';
import { createRedisCache } from './redis-cache.js';
import { createRedisClient } from './redis-client.js';
import type { Redis } from './redis-client.js';
import { createRedisListStore } from './redis-list-store.js';

const redisUrl = await requireService('redis');

// The limiter, the lists and the counters each run as a script (redis-scripts.ts). A Redis
// that restarted or was failed over to has none of them cached: every one must still answer.
describe.skipIf(redisUrl === undefined)('Redis scripts after Redis forgets them', () => {
  const prefix = uniqueName('kith_test_scripts');
  let redis: Redis;

  beforeAll(async () => {
    redis = createRedisClient({ url: redisUrl as string });
    await redis.connect();
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('counts, lists and limits as before a SCRIPT FLUSH', async () => {
    const limiter = createRateLimiter({
      store: { redis },
      keyPrefix: `${prefix}:rl`,
      points: 2,
      durationSec: 60,
    });
    const lists = createRedisListStore(redis, prefix);
    const cache = createRedisCache({ client: redis, keyPrefix: prefix });
    const ttl = { ttlMs: 60_000 };

    assert.equal((await limiter.consume('a')).remaining, 1);
    await lists.replace('l', ['b', 'c'], { cap: 10, ...ttl });
    await lists.push('l', ['a'], { cap: 10 });
    assert.equal(await cache.incr('n', ttl), 1);

    await redis.script('FLUSH');

    assert.equal((await limiter.consume('a')).remaining, 0);
    assert.equal((await limiter.consume('a')).allowed, false);
    assert.deepEqual(await lists.read('l', ttl), ['a', 'b', 'c']);
    await lists.pushEach(['l', 'missing'], ['z'], { cap: 3 });
    assert.deepEqual(await lists.read('l', ttl), ['z', 'a', 'b']);
    assert.equal(await lists.read('missing', ttl), null);
    assert.equal(await cache.incr('n', ttl), 2);
    assert.ok((await redis.pttl(`${prefix}:n`)) > 0);
  });
});
