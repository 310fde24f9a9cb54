import { Redis } from 'ioredis';
import type { Logger } from '@kith/logging';

export type { Redis };

export interface RedisClientOptions {
  url: string;
  /** A command without an answer after this long is rejected (also while queued). */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Retries of an in-flight command across reconnects before it is rejected. */
  maxRetriesPerRequest?: number;
  logger?: Logger;
}

/**
 * An ioredis client with the settings Kith relies on: no connection until `connect()`, short
 * command and connect timeouts, few retries, and capped reconnect back-off. Share one client
 * per process between caches and rate limiters.
 */
export function createRedisClient({
  url,
  commandTimeoutMs = 1000,
  connectTimeoutMs = 2000,
  maxRetriesPerRequest = 1,
  logger,
}: RedisClientOptions): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    commandTimeout: commandTimeoutMs,
    connectTimeout: connectTimeoutMs,
    maxRetriesPerRequest,
    // Kept on so a short reconnect does not fail every command; RedisCache bounds how many
    // may wait, and commandTimeout bounds how long each waits.
    enableOfflineQueue: true,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  });
  // Without a listener ioredis prints every reconnect error to the console. Log the first
  // error after each successful connection instead of one per retry.
  let reported = false;
  client.on('error', (err: Error) => {
    if (reported) return;
    reported = true;
    logger?.warn({ err }, 'redis connection error');
  });
  client.on('ready', () => {
    if (reported) logger?.info('redis connection restored');
    reported = false;
  });
  return client;
}
