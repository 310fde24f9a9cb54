import type { DescService } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import type { Bus, TopicLog } from '@kith/bus';
import type { Cache, ListStore, RateLimiter } from '@kith/cache';
import type { PlatformConfig } from '@kith/config';
import type { Database, MigrationSet, PageTokenCodec, Trx } from '@kith/db';
import type { ApiKeyScopeName } from '@kith/authn';
import type { Principal, Role } from '@kith/context';
import type { JWTVerifyGetKey } from 'jose';
import type { Logger } from '@kith/logging';
import type { IncomingMessage } from 'node:http';
import type { HttpRoutes } from '@kith/server';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';

/** The processes Kith is made of; each owning a database has a Postgres schema of this name. */
export type ServiceName =
  'auth' | 'user' | 'post' | 'circle' | 'support' | 'moderation' | 'gateway';

/** Wall clock, injectable so time-dependent rules are tested without sleeping. */
export type Clock = () => Date;

/**
 * Everything a service needs, built once per process by the runtime (its composition root).
 * `DB` is the service's table interface (`defineService<AuthDatabase>`), so its database,
 * transactions and consumers are typed without casts.
 */
export interface ServiceContext<DB = unknown> {
  name: ServiceName;
  config: PlatformConfig;
  logger: Logger;
  metrics: Registry;
  /** The service's own schema; undefined for a service without storage (the gateway). */
  database: Database<DB> | undefined;
  bus: Bus;
  cache: Cache;
  /** The store revocation entries live in: nothing evicts them before they expire. */
  revocations: Cache;
  pageTokens: PageTokenCodec;
  clock: Clock;
  /** Capped lists on the process's store (Redis when distributed): hot home timelines. */
  lists: ListStore;
  /** A rate limiter on the process's store (Redis when distributed, so limits are shared). */
  rateLimiter(options: { keyPrefix: string; points: number; durationSec: number }): RateLimiter;
  /** The process environment, for a service's own settings (parsed with its own schema). */
  env: NodeJS.ProcessEnv;
  /** The realtime replay store (the gateway's), opened on first use. */
  topicLog(): Promise<TopicLog>;
  /**
   * Embedded mode only: a stable secret for `purpose`, derived from the data dir's generated
   * secret so a newcomer never has to invent one. Undefined when distributed (configure it).
   */
  derivedSecret(purpose: string): Buffer | undefined;
  /**
   * Verifies credentials in request headers (access token or API key, then revocation);
   * undefined when absent, invalid or revoked; throws when they could not be checked (a cache,
   * the bus or the key set unreachable).
   */
  authenticate(headers: Headers): Promise<Principal | undefined>;
  /** The client's address behind the trusted proxies (TRUST_PROXY, TRUST_PROXY_CIDRS). */
  clientAddress(req: IncomingMessage): string;
}

/**
 * A handler for a bus event, run in the same transaction as the consumer's inbox row (on the
 * service's schema); after-commit work goes through `trx.onCommit`.
 */
export interface ConsumerSpec<DB = unknown> {
  /** Durable consumer name, unique per service (`profiles-from-auth`). */
  durable: string;
  /** One subject filter, e.g. `kith.events.auth.>`. */
  subjects: string;
  /**
   * Event types under `subjects` (`user.notification_created`) acknowledged without a
   * transaction or an inbox row: frequent events the consumer never acts on, such as its own
   * output coming back on the filter it shares.
   */
  ignores?: readonly string[];
  /**
   * Deliveries handled side by side, each in its own transaction (default 1: one after
   * another); with `orderKeys`, what each must not overtake (`@kith/bus` `ConsumeOptions`).
   */
  concurrency?: number;
  orderKeys?(message: ConsumedMessage): readonly string[] | undefined;
  handle(trx: Trx<DB>, message: ConsumedMessage): Promise<void>;
}

export interface ConsumedMessage {
  id: string;
  subject: string;
  data: Uint8Array;
  headers: Record<string, string>;
}

/** Background work with a name, started after migrations and stopped before the bus drains. */
export interface Daemon {
  name: string;
  start(): void | Promise<void>;
  stop(): Promise<void>;
}

export type HttpHandler = HttpRoutes[string];
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** What a service contributes to the process hosting it. */
export interface ServiceParts<DB = unknown> {
  /** Implementations; a method left out answers Unimplemented. */
  handlers?: { service: DescService; impl: Partial<ServiceImpl<DescService>> }[];
  consumers?: ConsumerSpec<DB>[];
  daemons?: Daemon[];
  /** Plain HTTP routes keyed `'GET /path'`. */
  http?: Record<string, HttpHandler>;
  onUpgrade?: UpgradeHandler;
  readiness?: { name: string; check(): Promise<void> }[];
  /**
   * Access-token verification keys this service holds itself (the auth service's own key set):
   * the process verifies with them instead of fetching a JWKS over the network.
   */
  verificationKeys?: JWTVerifyGetKey;
  close?(): Promise<void>;
}

/**
 * A service: its contract, access rules and migrations, and `create`, its composition root.
 * `Overrides` are what tests may replace (a mailer, a cheaper hasher); the host passes none.
 * Unparameterised (`ServiceModule`), it is any module, whatever its tables: what the host takes.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the host's view of any module's tables
export interface ServiceModule<DB = any, Overrides = never> {
  name: ServiceName;
  /** Every Connect service of the contract this process serves. */
  services: DescService[];
  /** Methods callable without credentials, as `package.Service/Method`. */
  publicMethods?: readonly string[];
  /** The least platform role a service (`pkg.Service`) or method (`pkg.Service/Method`) needs. */
  requiredRoles?: Readonly<Record<string, Role>>;
  /** Methods an API key may call, with the scope each needs; every other method refuses keys. */
  apiKeyScopes?: Readonly<Record<string, ApiKeyScopeName>>;
  /**
   * Methods a restricted session may call: an account moderation suspended or banned keeps a
   * way to read its decisions, appeal them and take its data (RESTRICTED_SCOPE).
   */
  restrictedMethods?: readonly string[];
  /** The service's own migrations; undefined when it keeps nothing (the gateway). */
  migrations?: MigrationSet;
  create(
    ctx: ServiceContext<DB>,
    overrides?: Overrides,
  ): ServiceParts<DB> | Promise<ServiceParts<DB>>;
}

/** One Connect service's implementation, typed against its descriptor. */
export function implement<S extends DescService>(
  service: S,
  impl: Partial<ServiceImpl<S>>,
): { service: DescService; impl: Partial<ServiceImpl<DescService>> } {
  return { service, impl: impl as Partial<ServiceImpl<DescService>> };
}

/**
 * A staff console (`*AdminService`) must name the least staff role for the whole service, so
 * a caller without it gets PermissionDenied before any handler or validation runs, whatever a
 * handler forgets. Checked when the module is defined: a module that omits it cannot load.
 */
export function defineService<DB = unknown, Overrides = never>(
  module: ServiceModule<DB, Overrides>,
): ServiceModule<DB, Overrides> {
  for (const service of module.services) {
    if (!service.typeName.endsWith('AdminService')) continue;
    const role = module.requiredRoles?.[service.typeName];
    if (role === undefined || role === 'user') {
      throw new Error(
        `${module.name}: ${service.typeName} needs a staff role in requiredRoles (triage or higher)`,
      );
    }
  }
  return module;
}
