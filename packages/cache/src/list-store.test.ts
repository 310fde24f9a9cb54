import { setTimeout as sleep } from 'node:timers/promises';
import { requireService, uniqueName } from '@kith/testkit';
import { runListStoreContract } from './list-store-contract.js';
import { createMemoryListStore } from './memory-list-store.js';
import { createRedisClient } from './redis-client.js';
import { createRedisListStore } from './redis-list-store.js';

runListStoreContract('memory', async () => {
  let now = 0;
  return {
    lists: createMemoryListStore({ now: () => now }),
    shortTtlMs: 1000,
    advance: async (ms) => {
      now += ms;
    },
    close: async () => undefined,
  };
});

const redisUrl = await requireService('redis');
// Without Redis (and without KITH_REQUIRE_SERVICES) the Redis half is left out.
if (redisUrl !== undefined) runRedisContract(redisUrl);

function runRedisContract(url: string): void {
  runListStoreContract('redis', async () => {
    const redis = createRedisClient({ url });
    await redis.connect();
    const prefix = uniqueName('kith_test_lists');
    return {
      lists: createRedisListStore(redis, prefix),
      shortTtlMs: 300,
      advance: (ms) => sleep(ms),
      async close() {
        const keys = await redis.keys(`${prefix}:*`);
        if (keys.length > 0) await redis.del(...keys);
        redis.disconnect();
      },
    };
  });
}
