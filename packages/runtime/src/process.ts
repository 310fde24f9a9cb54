import crypto from 'node:crypto';
import { loadEnv, platformEnvSchema, toPlatformConfig, toPlatformSecrets } from '@kith/config';
import type { PlatformConfig, PlatformEnv } from '@kith/config';
import { createPostgresDatabase, runMigrateCli } from '@kith/db';
import { createLogger, createRootLogger } from '@kith/logging';
import type { Logger } from '@kith/logging';
import { Registry } from 'prom-client';
import { loadOrCreateEmbeddedSecrets } from './embedded-secrets.js';
import { startHost } from './host.js';
import type { RunningHost } from './host.js';
import { createDistributedInfrastructure, createEmbeddedInfrastructure } from './infrastructure.js';
import { defaultAuthKeys } from './interceptors.js';
import type { AuthKeys } from './interceptors.js';
import { migrationsFor } from './migrations.js';
import type { Clock, ServiceModule } from './module.js';
import { stopOnSignals } from './signals.js';
import { exitIfPortInUse } from './start-failure.js';
import { startupWarnings } from './startup-warnings.js';
import { startTracing } from './tracing.js';

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  /** Overrides for tests: a logger, a clock, the access-token key set. */
  logger?: Logger;
  clock?: Clock;
  authKeys?: AuthKeys;
  /** Embedded only: keep the database in memory instead of under the data dir. */
  inMemory?: boolean;
  /**
   * Embedded only: a directory from `buildEmbeddedSeed` that a data dir without a database is
   * copied from (the build writes one beside the bundle), instead of running initdb.
   */
  seedDir?: string;
}

export interface RunningKith extends RunningHost {
  config: PlatformConfig;
}

function readConfig(env: NodeJS.ProcessEnv): { env: PlatformEnv; config: PlatformConfig } {
  const parsed = loadEnv(platformEnvSchema, env);
  return { env: parsed, config: toPlatformConfig(parsed) };
}

/** The host, with its tracing provider flushed after it stops. */
function running(
  host: RunningHost,
  config: PlatformConfig,
  tracing: { shutdown(): Promise<void> },
): RunningKith {
  return {
    ...host,
    config,
    stop: async () => {
      await host.stop();
      await tracing.shutdown();
    },
  };
}

/** Every module and the gateway in one process over PGlite, the local bus and memory cache. */
export async function startEmbedded(
  modules: ServiceModule[],
  options: StartOptions = {},
): Promise<RunningKith> {
  const rawEnv = { ...(options.env ?? process.env), KITH_MODE: 'embedded' };
  const { env, config } = readConfig(rawEnv);
  const logger = options.logger ?? createRootLogger({ level: config.logLevel, name: 'kith' });
  for (const warning of startupWarnings(config)) logger.warn(warning);
  const metrics = new Registry();
  const tracing = startTracing(config.otel, 'embedded');
  // In memory, nothing outlives the process, so neither must its secret.
  const embeddedSecret = options.inMemory
    ? crypto.randomBytes(32).toString('base64url')
    : (await loadOrCreateEmbeddedSecrets(config.dataDir)).pageTokenSecret;
  const pageTokenSecret = toPlatformSecrets(env).pageTokenSecret ?? embeddedSecret;
  const infrastructure = await createEmbeddedInfrastructure({
    config,
    logger,
    metrics,
    name: 'embedded',
    inMemory: options.inMemory,
    seedDir: options.seedDir,
  });
  const host = await startHost({
    name: 'embedded',
    modules,
    config,
    pageTokenSecret,
    logger,
    metrics,
    infrastructure,
    migrate: true,
    authKeys: options.authKeys ?? defaultAuthKeys(config),
    clock: options.clock,
    env: rawEnv,
    embeddedSecret,
  });
  return running(host, config, tracing);
}

/** One service as its own process over Postgres, NATS JetStream and Redis. */
export async function startDistributed(
  module: ServiceModule,
  options: StartOptions = {},
): Promise<RunningKith> {
  const rawEnv = { ...(options.env ?? process.env), KITH_MODE: 'distributed' };
  const { env, config } = readConfig(rawEnv);
  const logger =
    options.logger ?? createRootLogger({ level: config.logLevel, name: `kith-${module.name}` });
  for (const warning of startupWarnings(config)) logger.warn(warning);
  const metrics = new Registry();
  const tracing = startTracing(config.otel, module.name);
  const secrets = toPlatformSecrets(env);
  const pageTokenSecret = secrets.pageTokenSecret;
  if (!pageTokenSecret) throw new Error('PAGE_TOKEN_SECRET is required in distributed mode');
  const infrastructure = await createDistributedInfrastructure({
    config,
    logger,
    metrics,
    name: module.name,
    natsPassword: secrets.natsPassword,
  });
  const host = await startHost({
    name: module.name,
    modules: [module],
    config,
    pageTokenSecret,
    logger,
    metrics,
    infrastructure,
    migrate: false,
    authKeys: options.authKeys ?? defaultAuthKeys(config),
    clock: options.clock,
    env: rawEnv,
  });
  return running(host, config, tracing);
}

/**
 * Applies one service's migrations against DATABASE_MIGRATION_URL (the schema owner), or
 * DATABASE_URL when unset; exits non-zero on failure.
 */
export async function migrateDistributed(module: ServiceModule, env = process.env): Promise<void> {
  const { config } = readConfig({ ...env, KITH_MODE: 'distributed' });
  const logger = createRootLogger({ level: config.logLevel, name: `kith-${module.name}` });
  if (!module.migrations) {
    logger.info({ service: module.name }, 'no migrations: this service keeps no data');
    return;
  }
  // The schema owner's role when one is configured; `serve` keeps DATABASE_URL (DML only).
  const url = config.db.migrationUrl ?? config.db.url;
  if (!url) throw new Error('DATABASE_URL is required');
  const database = createPostgresDatabase({ url, schema: module.name, poolMax: 2 });
  try {
    await runMigrateCli(database, migrationsFor(module), createLogger(logger, 'migrate'));
  } finally {
    await database.close();
  }
}

/**
 * `main.ts` of every service: `migrate` applies its migrations, `serve` (default) runs it.
 * Embedded mode is `services/embedded`; a service process is always distributed.
 */
export async function runServiceCli(module: ServiceModule, argv = process.argv.slice(2)) {
  const command = argv[0] ?? 'serve';
  if (command === 'migrate') {
    await migrateDistributed(module);
    return;
  }
  if (command !== 'serve') {
    console.error(`usage: main.js [serve|migrate]`);
    process.exitCode = 2;
    return;
  }
  const running = await startDistributed(module).catch((err: unknown) => {
    exitIfPortInUse(err);
    throw err;
  });
  const log = createRootLogger({ level: running.config.logLevel, name: `kith-${module.name}` });
  log.info({ url: running.url, service: module.name }, 'listening');
  stopOnSignals(running.stop, log);
}
