import type { DescService } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import type { Bus } from '@kith/bus';
import type { Cache } from '@kith/cache';
import type { PlatformConfig } from '@kith/config';
import type { Database, MigrationSet, PageTokenCodec } from '@kith/db';
import type { Principal } from '@kith/context';
import type { Logger } from '@kith/logging';
import type { Transaction } from 'kysely';
import type { IncomingMessage } from 'node:http';
import type { HttpRoutes } from '@kith/server';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';

/** The processes Kith is made of; each owning a database has a Postgres schema of this name. */
export type ServiceName =
  'auth' | 'user' | 'post' | 'circle' | 'support' | 'moderation' | 'gateway';

/** Wall clock, injectable so time-dependent rules are tested without sleeping. */
export type Clock = () => Date;

/** Everything a service needs, built once per process by the runtime (its composition root). */
export interface ServiceContext {
  name: ServiceName;
  config: PlatformConfig;
  logger: Logger;
  metrics: Registry;
  /** The service's own schema; undefined for a service without storage (the gateway). */
  database: Database | undefined;
  bus: Bus;
  cache: Cache;
  pageTokens: PageTokenCodec;
  clock: Clock;
  /** Verifies credentials in request headers (bearer access token); undefined when absent/invalid. */
  authenticate(headers: Headers): Promise<Principal | undefined>;
}

/** A handler for a bus event, run in the same transaction as the consumer's inbox row. */
export interface ConsumerSpec {
  /** Durable consumer name, unique per service (`user.on-user-registered`). */
  durable: string;
  /** One subject filter, e.g. `kith.events.auth.>`. */
  subjects: string;
  handle(trx: Transaction<unknown>, message: ConsumedMessage): Promise<void>;
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
export interface ServiceParts {
  /** Implementations; a method left out answers Unimplemented. */
  handlers?: { service: DescService; impl: Partial<ServiceImpl<DescService>> }[];
  consumers?: ConsumerSpec[];
  daemons?: Daemon[];
  /** Plain HTTP routes keyed `'GET /path'`. */
  http?: Record<string, HttpHandler>;
  onUpgrade?: UpgradeHandler;
  readiness?: { name: string; check(): Promise<void> }[];
  close?(): Promise<void>;
}

export interface ServiceModule {
  name: ServiceName;
  /** Every Connect service of the contract this process serves. */
  services: DescService[];
  /** Methods callable without credentials, as `package.Service/Method`. */
  publicMethods?: readonly string[];
  /** The service's own migrations; undefined when it keeps nothing (the gateway). */
  migrations?: MigrationSet;
  create(ctx: ServiceContext): ServiceParts | Promise<ServiceParts>;
}

export function defineService(module: ServiceModule): ServiceModule {
  return module;
}
