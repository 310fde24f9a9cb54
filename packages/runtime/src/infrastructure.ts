import path from 'node:path';
import {
  createLocalBus,
  createMemoryTopicLog,
  createNatsBus,
  createNatsTopicLog,
  localBusMigrations,
} from '@kith/bus';
import type { Bus, TopicLog } from '@kith/bus';
import {
  assertRedisNoEviction,
  createMemoryCache,
  createMemoryListStore,
  createRateLimiter,
  createRedisCache,
  createRedisListStore,
} from '@kith/cache';
import type { Cache, ListStore, RateLimiter } from '@kith/cache';
import type { PlatformConfig } from '@kith/config';
import { createPglite, createPgliteDatabase, createPostgresDatabase, migrate } from '@kith/db';
import type { Database, PgliteHandle } from '@kith/db';
import type { Logger } from '@kith/logging';
import { createLogger } from '@kith/logging';
import type { Redis } from '@kith/cache';
import type { Registry } from 'prom-client';

/**
 * The adapters a process runs on, chosen by configuration: PGlite + in-process bus + memory
 * cache when embedded, Postgres + NATS JetStream + Redis when distributed.
 */
export interface Infrastructure {
  /** A handle bound to one service's schema. */
  databaseFor(schema: string): Database;
  bus: Bus;
  cache: Cache;
  /**
   * Where revocation entries live: nothing evicts them before they expire (Redis with
   * `maxmemory-policy noeviction`, checked at start, or a memory store that refuses when full).
   */
  revocations: Cache;
  /** Capped lists (hot home timelines): Redis when configured, else process memory. */
  lists: ListStore;
  /** Rate limiter factory sharing the process's store (memory or Redis). */
  rateLimiter(options: { keyPrefix: string; points: number; durationSec: number }): RateLimiter;
  /**
   * The realtime replay store, opened on first use (only the gateway uses it): JetStream stream
   * KITH_REALTIME when distributed, process memory when embedded (one process, one replica).
   */
  topicLog(): Promise<TopicLog>;
  readiness: { name: string; check(): Promise<void> }[];
  close(): Promise<void>;
}

export interface InfrastructureOptions {
  config: PlatformConfig;
  logger: Logger;
  metrics: Registry;
  /** Process name for NATS connection names and Postgres application_name. */
  name: string;
  /** With `config.nats.user`: the NATS password (NATS_PASSWORD or NATS_PASSWORD_FILE). */
  natsPassword?: string;
}

/** One PGlite under `<dataDir>/pglite` shared by every service schema, and a durable local bus. */
export async function createEmbeddedInfrastructure(
  options: InfrastructureOptions & { inMemory?: boolean; seedDir?: string },
): Promise<Infrastructure & { pglite: PgliteHandle }> {
  const { config, logger, metrics } = options;
  const pglite = await createPglite({
    dataDir: options.inMemory ? undefined : path.join(config.dataDir, 'pglite'),
    seedDir: options.seedDir,
  });
  const databases: Database[] = [];
  const databaseFor = (schema: string) => {
    const database = createPgliteDatabase({
      pglite,
      schema,
      logger: createLogger(logger, `db:${schema}`),
    });
    databases.push(database);
    return database;
  };
  const busDatabase = databaseFor('bus');
  await migrate(busDatabase, localBusMigrations, { logger: createLogger(logger, 'db:migrate') });
  const bus = createLocalBus({
    database: busDatabase,
    logger: createLogger(logger, 'bus'),
    metrics,
  });
  const cache = createMemoryCache({ maxEntries: 100_000 });
  const revocations = revocationMemoryStore();
  const topicLog = createMemoryTopicLog();
  return {
    pglite,
    databaseFor,
    bus,
    cache,
    revocations,
    lists: createMemoryListStore(),
    rateLimiter: (o) => createRateLimiter({ store: 'memory', ...o }),
    topicLog: async () => topicLog,
    readiness: [{ name: 'database', check: () => busDatabase.ping() }],
    async close() {
      await bus.drain();
      await topicLog.close();
      await cache.close();
      await revocations.close();
      for (const database of databases) await database.close();
      await pglite.close();
    },
  };
}

/** Postgres pool per schema, NATS JetStream, Redis (or memory when REDIS_URL is unset). */
export async function createDistributedInfrastructure(
  options: InfrastructureOptions,
): Promise<Infrastructure> {
  const { config, logger, metrics, name } = options;
  if (!config.db.url || !config.nats) {
    throw new Error('distributed mode needs DATABASE_URL and NATS_URL');
  }
  const dbUrl = config.db.url;
  const databases: Database[] = [];
  const databaseFor = (schema: string) => {
    const database = createPostgresDatabase({
      url: dbUrl,
      schema,
      poolMax: config.db.poolMax,
      preparedStatements: config.db.preparedStatements,
      statementTimeoutMs: config.db.statementTimeoutMs,
      applicationName: `kith-${name}`,
      logger: createLogger(logger, `db:${schema}`),
    });
    databases.push(database);
    return database;
  };
  const { user } = config.nats;
  const natsUrl = config.nats.url;
  const credentials =
    user !== null && options.natsPassword !== undefined
      ? { user, pass: options.natsPassword }
      : undefined;
  const bus = await createNatsBus({
    servers: natsUrl,
    name: `kith-${name}`,
    credentials,
    logger: createLogger(logger, 'bus'),
    metrics,
  });
  let redis: Redis | undefined;
  let cache: Cache;
  let revocations: Cache;
  if (config.redis) {
    const { keyPrefix } = config.redis;
    const redisCache = createRedisCache({ url: config.redis.url, keyPrefix });
    try {
      await redisCache.connect();
      await assertRedisNoEviction(redisCache.client, createLogger(logger, 'cache'));
    } catch (err) {
      // A refused Redis (wrong ACL password, evicting policy) must not leave the bus open.
      await redisCache.close().catch(() => undefined);
      await bus.drain();
      throw err;
    }
    cache = redisCache;
    revocations = redisCache;
    redis = redisCache.client;
  } else {
    cache = createMemoryCache({ maxEntries: 100_000 });
    revocations = revocationMemoryStore();
  }
  let topicLog: Promise<TopicLog> | undefined;
  return {
    databaseFor,
    bus,
    cache,
    revocations,
    lists:
      redis && config.redis
        ? createRedisListStore(redis, config.redis.keyPrefix)
        : createMemoryListStore(),
    rateLimiter: (o) =>
      redis && config.redis
        ? createRateLimiter({
            ...o,
            store: { redis },
            keyPrefix: `${config.redis.keyPrefix}:${o.keyPrefix}`,
          })
        : createRateLimiter({ ...o, store: 'memory' }),
    topicLog() {
      topicLog ??= createNatsTopicLog({
        servers: natsUrl,
        name: `kith-${name}-realtime`,
        credentials,
      });
      // A failed open is retried by the next caller rather than remembered.
      topicLog.catch(() => (topicLog = undefined));
      return topicLog;
    },
    readiness: [
      { name: 'bus', check: () => bus.ping() },
      { name: 'cache', check: () => cache.ping() },
    ],
    async close() {
      await bus.drain();
      if (topicLog) await (await topicLog.catch(() => undefined))?.close();
      await cache.close();
      if (revocations !== cache) await revocations.close();
      for (const database of databases) await database.close();
    },
  };
}

/**
 * A process's own revocation store: entries are kept until they expire, never evicted. A
 * million live revocations (~150 MB) is far beyond what logouts produce in 20 minutes; past it,
 * the store refuses and every authenticated call fails closed rather than forget one.
 */
function revocationMemoryStore(): Cache {
  return createMemoryCache({ maxEntries: 1_000_000, whenFull: 'refuse' });
}
