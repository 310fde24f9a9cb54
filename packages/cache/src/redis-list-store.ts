import type { ListStore } from './list-store.js';
import type { Redis } from './redis-client.js';
import { scripted } from './redis-scripts.js';

/**
 * ListStore on Redis lists under `keyPrefix`, each operation one script (redis-scripts.ts): a
 * push is LPUSHX and LTRIM per list (a list that does not exist is never started by a push), a
 * replace DEL, RPUSH and PEXPIRE, a read LRANGE with PEXPIRE.
 */
export function createRedisListStore(client: Redis, keyPrefix: string): ListStore {
  const redis = scripted(client);
  const k = (key: string) => `${keyPrefix}:list:${key}`;
  const pushEach = async (keys: readonly string[], items: readonly string[], cap: number) => {
    if (items.length === 0 || keys.length === 0) return;
    // LPUSH puts its last argument first: reversed, the first item ends up at the head.
    const reversed = [...items].reverse();
    await redis.kithListPushEach(keys.length, ...keys.map(k), cap, ...reversed);
  };
  return {
    push: (key, items, { cap }) => pushEach([key], items, cap),
    pushEach: (keys, items, { cap }) => pushEach(keys, items, cap),
    async replace(key, items, { cap, ttlMs }) {
      await redis.kithListReplace(k(key), ttlMs, ...items.slice(0, cap));
    },
    read: (key, { ttlMs }) => redis.kithListRead(k(key), ttlMs),
    async del(key) {
      await redis.del(k(key));
    },
  };
}
