import type { Logger } from '@kith/logging';
import { assertTtl, CacheUnavailableError } from './cache.js';
import type { Cache, TtlOptions } from './cache.js';
import { createRedisClient } from './redis-client.js';
import type { Redis } from './redis-client.js';
import { scripted } from './redis-scripts.js';

export interface RedisCacheOptions {
  /** Builds and owns a client (closed by close()); or pass `client` to share one. */
  url?: string;
  /** A shared client, left open by close(); build it with createRedisClient. */
  client?: Redis;
  /** Namespace for every key: `${keyPrefix}:${key}`. */
  keyPrefix: string;
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  /**
   * How many commands may wait for a reconnect at once. Beyond it, commands fail at once with
   * CacheUnavailableError: ioredis' offline queue has no size limit, and an outage under load
   * would otherwise pile up requests and memory.
   */
  maxPendingWhileDisconnected?: number;
  logger?: Logger;
}

export interface RedisCache extends Cache {
  /** Opens the connection; resolves when Redis is ready, rejects on the first failure. */
  connect(): Promise<void>;
  readonly client: Redis;
}

export function createRedisCache(options: RedisCacheOptions): RedisCache {
  const { keyPrefix, maxPendingWhileDisconnected = 64 } = options;
  if (!keyPrefix) throw new Error('keyPrefix is required');
  if ((options.url === undefined) === (options.client === undefined)) {
    throw new Error('pass exactly one of url or client');
  }
  const owned = options.client === undefined;
  const client =
    options.client ??
    createRedisClient({
      url: options.url as string,
      commandTimeoutMs: options.commandTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs,
      logger: options.logger,
    });
  const scripts = scripted(client);
  const k = (key: string) => `${keyPrefix}:${key}`;
  let pendingWhileDisconnected = 0;

  /** Sends at once when ready; lets a bounded number wait during a reconnect; else fails fast. */
  async function run<T>(command: () => Promise<T>): Promise<T> {
    const status = client.status;
    if (status === 'ready') return command();
    if (status === 'wait') throw new CacheUnavailableError('redis cache: call connect() first');
    if (status === 'end') throw new CacheUnavailableError('redis cache is closed');
    if (pendingWhileDisconnected >= maxPendingWhileDisconnected) {
      throw new CacheUnavailableError(`redis cache unavailable (${status})`);
    }
    pendingWhileDisconnected += 1;
    try {
      return await command();
    } finally {
      pendingWhileDisconnected -= 1;
    }
  }

  return {
    client,
    async connect() {
      if (client.status === 'ready') return;
      if (client.status === 'wait' || client.status === 'end') {
        await client.connect();
        return;
      }
      // Already connecting (for example a shared client): wait for the outcome.
      await new Promise<void>((resolve, reject) => {
        const onReady = () => {
          client.off('error', onError);
          resolve();
        };
        const onError = (err: Error) => {
          client.off('ready', onReady);
          reject(err);
        };
        client.once('ready', onReady);
        client.once('error', onError);
      });
    },
    async get(key) {
      return run(() => client.get(k(key)));
    },
    async getMany(keys) {
      if (keys.length === 0) return [];
      return run(() => client.mget(keys.map(k)));
    },
    async set(key, value, { ttlMs }: TtlOptions) {
      assertTtl(ttlMs);
      await run(() => client.set(k(key), value, 'PX', ttlMs));
    },
    async setIfAbsent(key, value, { ttlMs }: TtlOptions) {
      assertTtl(ttlMs);
      const reply = await run(() => client.set(k(key), value, 'PX', ttlMs, 'NX'));
      return reply === 'OK';
    },
    async del(key) {
      await run(() => client.del(k(key)));
    },
    async incr(key, { ttlMs }: TtlOptions) {
      assertTtl(ttlMs);
      // SET NX then INCR in one script: the TTL is set exactly when the counter is born.
      return Number(await run(() => scripts.kithCounterIncr(k(key), ttlMs)));
    },
    async ping() {
      await run(() => client.ping());
    },
    async close() {
      if (!owned || client.status === 'end') return;
      if (client.status === 'ready') {
        try {
          await client.quit();
          return;
        } catch {
          // Fall through: the connection is going away anyway.
        }
      }
      client.disconnect();
    },
  };
}
