import crypto from 'node:crypto';
import type { DescService } from '@bufbuild/protobuf';
import { REVOCATION_LIVE_SUBJECT, applyRevocation, decodeRevocation } from '@kith/authn';
import type { ConnectRouter, Interceptor } from '@connectrpc/connect';
import { createInboxConsumer, createOutboxRelay, eventSubject } from '@kith/bus';
import type { Subscription } from '@kith/bus';
import type { PlatformConfig } from '@kith/config';
import { createPageTokenCodec, migrate } from '@kith/db';
import type { Database } from '@kith/db';
import { createLogger } from '@kith/logging';
import type { Logger } from '@kith/logging';
import { purgeIdempotencyKeys } from '@kith/interceptors';
import { createClientAddress, createKithServer } from '@kith/server';
import type { ProxyTrust } from '@kith/server';
import type { Registry } from 'prom-client';
import type { Infrastructure } from './infrastructure.js';
import { buildInterceptors, createAuthentication, lenient } from './interceptors.js';
import type { AuthKeys } from './interceptors.js';
import { migrationsFor } from './migrations.js';
import { periodicDaemon } from './periodic-daemon.js';
import { serviceKey } from './service-keys.js';
import type {
  Clock,
  Daemon,
  HttpHandler,
  ServiceContext,
  ServiceModule,
  ServiceName,
  ServiceParts,
  UpgradeHandler,
} from './module.js';

export interface HostOptions {
  /** Name for logs and connections: a service name, or `embedded`. */
  name: string;
  modules: ServiceModule[];
  config: PlatformConfig;
  pageTokenSecret: string;
  logger: Logger;
  metrics: Registry;
  infrastructure: Infrastructure;
  /** Apply migrations before starting (embedded); distributed processes run `migrate` first. */
  migrate: boolean;
  authKeys: AuthKeys;
  clock?: Clock;
  env: NodeJS.ProcessEnv;
  /** Embedded only: the generated secret `ctx.derivedSecret` derives from. */
  embeddedSecret?: string;
}

export interface RunningHost {
  url: string;
  port: number;
  /** With ADMIN_PORT: where metrics, reflection and the readiness detail are served. */
  adminUrl?: string;
  contexts: ReadonlyMap<ServiceName, ServiceContext>;
  stop(): Promise<void>;
}

/** Idempotency records live at least 24 h (ADR 0004); an hour of margin, swept hourly. */
const IDEMPOTENCY_RETENTION_MS = 25 * 3600_000;
const IDEMPOTENCY_PURGE_EVERY_MS = 3600_000;

/** TRUST_PROXY (true = one hop) and TRUST_PROXY_CIDRS as the server reads them. */
function proxyTrustOf(config: PlatformConfig): ProxyTrust {
  const { trustProxy, trustProxyCidrs } = config.http;
  const hops = typeof trustProxy === 'number' ? trustProxy : trustProxy ? 1 : 0;
  return { hops, cidrs: trustProxyCidrs };
}

/** Builds every module's handlers, consumers and daemons and serves them on one port. */
export async function startHost(options: HostOptions): Promise<RunningHost> {
  const { config, infrastructure, logger, metrics } = options;
  const clock = options.clock ?? (() => new Date());
  const pageTokens = createPageTokenCodec(options.pageTokenSecret);
  const contexts = new Map<ServiceName, ServiceContext>();
  const databases = new Map<string, Database>();
  const parts: { module: ServiceModule; parts: ServiceParts }[] = [];
  // Late-bound: a module may hold the keys itself (auth), known only once it is created.
  let authKeys: AuthKeys = options.authKeys;
  const keys: AuthKeys = (header, token) => authKeys(header, token);
  const authentication = createAuthentication({ config, authKeys: keys, clock, infrastructure });
  const authenticate = lenient(authentication);
  const proxyTrust = proxyTrustOf(config);
  const clientAddress = createClientAddress(proxyTrust);
  const derivedSecret = (purpose: string) =>
    options.embeddedSecret === undefined
      ? undefined
      : Buffer.from(
          crypto.hkdfSync('sha256', options.embeddedSecret, 'kith-embedded', purpose, 32),
        );

  for (const module of options.modules) {
    const database = module.migrations ? infrastructure.databaseFor(module.name) : undefined;
    if (database) {
      const migrations = migrationsFor(module);
      if (options.migrate) {
        await migrate(database, migrations, {
          logger: createLogger(logger, `${module.name}:migrate`),
        });
      }
      databases.set(module.name, database);
    }
    const ctx: ServiceContext = {
      name: module.name,
      config,
      logger: createLogger(logger, module.name),
      metrics,
      database,
      bus: infrastructure.bus,
      cache: infrastructure.cache,
      revocations: infrastructure.revocations,
      pageTokens,
      clock,
      lists: infrastructure.lists,
      rateLimiter: (o) => infrastructure.rateLimiter(o),
      env: options.env,
      topicLog: () => infrastructure.topicLog(),
      derivedSecret,
      authenticate,
      clientAddress,
    };
    contexts.set(module.name, ctx);
    const created = await module.create(ctx);
    if (created.verificationKeys) authKeys = created.verificationKeys;
    parts.push({ module, parts: created });
  }

  const interceptors: Interceptor[] = buildInterceptors({
    modules: options.modules,
    databases,
    infrastructure,
    logger: createLogger(logger, 'rpc'),
    authentication,
    serviceKeyFor: (service, purpose) => serviceKey(options.pageTokenSecret, service, purpose),
  });

  const routes = (router: ConnectRouter) => {
    for (const { module, parts: p } of parts) {
      for (const service of module.services) {
        const impl = p.handlers?.find((h) => h.service.typeName === service.typeName)?.impl ?? {};
        router.service(service as DescService, impl);
      }
    }
  };

  const http: Record<string, HttpHandler> = {};
  let onUpgrade: UpgradeHandler | undefined;
  const daemons: Daemon[] = [];
  for (const { parts: p } of parts) {
    Object.assign(http, p.http ?? {});
    onUpgrade = p.onUpgrade ?? onUpgrade;
    daemons.push(...(p.daemons ?? []));
  }
  for (const [schema, database] of databases) {
    const relay = createOutboxRelay({
      database,
      bus: infrastructure.bus,
      logger: createLogger(logger, `${schema}:outbox`),
      metrics,
    });
    daemons.push({
      name: `${schema}:outbox-relay`,
      start: () => relay.start(),
      stop: () => relay.stop(),
    });
    // Stored responses are kept a day (ADR 0004), then purged: they hold sealed secrets.
    const purgeLogger = createLogger(logger, `${schema}:idempotency-purge`);
    daemons.push(
      periodicDaemon({
        name: `${schema}:idempotency-purge`,
        everyMs: IDEMPOTENCY_PURGE_EVERY_MS,
        async run() {
          const cutoff = new Date(clock().getTime() - IDEMPOTENCY_RETENTION_MS);
          const purged = await purgeIdempotencyKeys(database, cutoff);
          if (purged > 0) purgeLogger.info({ purged }, 'purged idempotency records');
        },
        onError: (err) => purgeLogger.error({ err }, 'idempotency purge failed'),
      }),
    );
  }

  const subscriptions: Subscription[] = [];
  for (const { module, parts: p } of parts) {
    const database = databases.get(module.name);
    for (const consumer of p.consumers ?? []) {
      if (!database) throw new Error(`${module.name}: consumers need a database`);
      subscriptions.push(
        await createInboxConsumer({
          database,
          bus: infrastructure.bus,
          durable: `${module.name}-${consumer.durable}`,
          subjects: consumer.subjects,
          ignoredSubjects: consumer.ignores?.map(eventSubject),
          concurrency: consumer.concurrency,
          orderKeys: consumer.orderKeys?.bind(consumer),
          handler: (trx, msg) => consumer.handle(trx, msg),
          logger: createLogger(logger, `${module.name}:${consumer.durable}`),
          metrics,
        }),
      );
    }
  }
  for (const daemon of daemons) await daemon.start();
  // A process with a cache of its own (no Redis) learns revocations from auth's announcements.
  const revocations = config.redis
    ? undefined
    : infrastructure.bus.subscribeLive(REVOCATION_LIVE_SUBJECT, (msg) => {
        const revocation = decodeRevocation(msg.data);
        if (revocation) {
          applyRevocation(
            { revocations: infrastructure.revocations, apiKeyGrants: infrastructure.cache },
            revocation,
          ).catch((err: unknown) => logger.error({ err }, 'could not apply a revocation'));
        }
      });

  const server = createKithServer({
    host: config.http.host,
    port: config.http.port,
    logger: createLogger(logger, 'server'),
    metricsRegistry: metrics,
    routes,
    interceptors,
    readiness: [
      ...infrastructure.readiness,
      ...[...databases].map(([schema, database]) => ({
        name: `database:${schema}`,
        check: () => database.ping(),
      })),
      ...parts.flatMap((p) => p.parts.readiness ?? []),
    ],
    http,
    onUpgrade,
    corsAllowedOrigins: config.http.corsAllowedOrigins,
    maxBodyBytes: config.http.maxBodyBytes,
    shutdownGraceMs: config.shutdownGraceMs,
    drainDelayMs: config.shutdownDrainDelayMs,
    adminPort: config.http.adminPort ?? undefined,
    trustProxy: proxyTrust.hops,
    trustProxyCidrs: proxyTrust.cidrs,
    onDrain: async () => {
      revocations?.unsubscribe();
      for (const daemon of [...daemons].reverse()) await daemon.stop();
      for (const subscription of subscriptions) await subscription.stop();
      for (const { parts: p } of parts) await p.close?.();
      await infrastructure.close();
    },
  });
  const { port, url, adminUrl } = await server.start();
  return { port, url, adminUrl, contexts, stop: () => server.stop() };
}
