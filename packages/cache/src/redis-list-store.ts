import type { ListStore } from './list-store.js';
import type { Redis } from './redis-client.js';

/**
 * ListStore on Redis lists under `keyPrefix`: LPUSHX and LTRIM in one transaction (so a list
 * that does not exist is never started by a push), a replace as DEL, RPUSH, LTRIM and PEXPIRE
 * in one, a read as LRANGE with PEXPIRE.
 */
export function createRedisListStore(redis: Redis, keyPrefix: string): ListStore {
  const k = (key: string) => `${keyPrefix}:list:${key}`;
  const pushEach = async (keys: readonly string[], items: readonly string[], cap: number) => {
    if (items.length === 0 || keys.length === 0) return;
    // LPUSH puts its last argument first: reversed, the first item ends up at the head. Each
    // key's LPUSHX and LTRIM run together (MULTI); the keys share one round trip.
    const reversed = [...items].reverse();
    const tx = redis.multi();
    for (const key of keys) tx.lpushx(k(key), ...reversed).ltrim(k(key), 0, cap - 1);
    const results = await tx.exec();
    const failed = results?.find(([err]) => err);
    if (failed?.[0]) throw failed[0];
  };
  return {
    push: (key, items, { cap }) => pushEach([key], items, cap),
    pushEach: (keys, items, { cap }) => pushEach(keys, items, cap),
    async replace(key, items, { cap, ttlMs }) {
      const tx = redis.multi().del(k(key));
      const kept = items.slice(0, cap);
      if (kept.length > 0) tx.rpush(k(key), ...kept).pexpire(k(key), ttlMs);
      await tx.exec();
    },
    async read(key, { ttlMs }) {
      const result = await redis.multi().lrange(k(key), 0, -1).pexpire(k(key), ttlMs).exec();
      const [err, items] = result?.[0] ?? [null, []];
      if (err) throw err;
      const [, renewed] = result?.[1] ?? [null, 0];
      return renewed === 1 ? (items as string[]) : null;
    },
    async del(key) {
      await redis.del(k(key));
    },
  };
}
