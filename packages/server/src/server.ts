import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnectRouter, ContextValues, Interceptor } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import type { NodeRequest } from './http-types.js';
import { file_grpc_health_v1_health } from '@kith/gen/grpc/health/v1/health_pb.js';
import { clientAddressKey } from '@kith/context';
import type { Logger } from 'pino';
import { Counter, Registry } from 'prom-client';
import { CallValues } from './call-values.js';
import { createClientAddress } from './client-address.js';
import { createFastPath } from './fast-path.js';
import type { FastPath } from './fast-path.js';
import { recordingRouter } from './fast-path-routes.js';
import type { FastRoute } from './fast-path-routes.js';
import { ConnectionHub } from './connections.js';
import type { H2Limits } from './h2-limits.js';
import { DEFAULT_MAX_JSON_DEPTH, guardJsonDepth } from './json-depth.js';
import { registerHealth } from './health-service.js';
import { HealthState } from './health-state.js';
import type { ReadinessCheck } from './health-state.js';
import { createMetricsInterceptor, registerDefaultMetrics } from './metrics.js';
import { createPlainHttp, routePlainFirst } from './plain-http.js';
import { presetResponseSupportedKey, withPresetResponses } from './preset-response.js';
import type { HttpRoutes } from './plain-http.js';
import {
  ReflectionIndex,
  descriptorFiles,
  reflectionFiles,
  registerReflection,
} from './reflection.js';
import type { DescriptorSource } from './reflection.js';

export interface KithServerOptions {
  /** Interface to bind; `0.0.0.0` in containers. Default 127.0.0.1. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  logger: Logger;
  /** Default metrics and RPC histograms go here; a fresh Registry when omitted. */
  metricsRegistry?: Registry;
  routes?: (router: ConnectRouter) => void;
  /** Installed on every Kith service, inside the metrics interceptor. */
  interceptors?: Interceptor[];
  /** Extra files for reflection (event types…); served services' files are always included. */
  descriptors?: DescriptorSource;
  readiness?: ReadinessCheck[];
  /** Per readiness check. Default 2000 ms. */
  readinessTimeoutMs?: number;
  /** How long one run of the readiness checks answers every probe. Default 1000 ms. */
  readinessCacheMs?: number;
  /** Extra plain routes keyed `'GET /path'`. */
  http?: HttpRoutes;
  /** HTTP/1.1 `Upgrade` requests (WebSocket gateway). */
  onUpgrade?: (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void;
  corsAllowedOrigins?: readonly string[];
  /** Largest request body accepted; bigger ones answer ResourceExhausted. Default 4 MiB. */
  maxBodyBytes?: number;
  /** stop() resolves within this; remaining connections are destroyed. Default 25 s. */
  shutdownGraceMs?: number;
  /** Connect JSON bodies nested deeper are refused (InvalidArgument) before parsing. Default 64. */
  maxJsonDepth?: number;
  /** Idle timeout, session cap and memory bounds of h2c connections (defaults in h2-limits). */
  h2?: H2Limits;
  /**
   * How long stop() keeps accepting connections after readiness goes off, so load balancers
   * see the 503 before the listener closes. Counts against the grace period. Default 0.
   */
  drainDelayMs?: number;
  /** Run after in-flight calls finish during stop() (e.g. drain the bus). */
  onDrain?: (() => Promise<void>) | (() => Promise<void>)[];
  /** Adds per-request context values after the client address is set. */
  contextValues?: (req: NodeRequest, values: ContextValues) => void;
  /** Number of trusted proxy hops in front of the server; 0 ignores X-Forwarded-For. */
  trustProxy?: number;
  /** Proxy ranges: X-Forwarded-For is believed only from a peer inside them (see ProxyTrust). */
  trustProxyCidrs?: readonly string[];
  /** How often health Watch streams re-run readiness checks. Default 5000 ms. */
  healthWatchIntervalMs?: number;
  /**
   * Serve unary Connect calls on the fast path (see docs/adr/0013-rpc-fast-path.md). Default:
   * on, unless the environment sets `KITH_RPC_FAST_PATH` to `0`, `false` or `off`.
   */
  fastPath?: boolean;
  /**
   * When set (0 picks a free port), `/metrics`, gRPC reflection and the detailed readiness
   * report are served only on this port, bound to `host`; the API port keeps `/healthz`, a bare
   * `/readyz` and grpc.health. Unset: everything on one port (embedded use on a laptop).
   */
  adminPort?: number;
}

export interface KithServer {
  /** `adminUrl` only with `adminPort`. */
  start(): Promise<{ port: number; url: string; adminPort?: number; adminUrl?: string }>;
  /** Graceful drain; idempotent, resolves within `shutdownGraceMs`. */
  stop(): Promise<void>;
  setReady(ready: boolean): void;
}

/**
 * One port serving Connect, gRPC and gRPC-Web over HTTP/1.1 and h2c, with reflection, health,
 * probes, metrics and CORS, and a graceful drain.
 */
export function createKithServer(options: KithServerOptions): KithServer {
  const logger = options.logger;
  const registry = options.metricsRegistry ?? new Registry();
  registerDefaultMetrics(registry);
  const metrics = createMetricsInterceptor({ registry });
  const graceMs = options.shutdownGraceMs ?? 25_000;
  const readMaxBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;
  const maxJsonDepth = options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH;
  const state = new HealthState(options.readiness ?? [], options.readinessTimeoutMs ?? 2000, {
    cacheMs: options.readinessCacheMs,
  });
  const hardStop = new AbortController();
  const drainHooks = options.onDrain === undefined ? [] : [options.onDrain].flat();
  const clientAddress = createClientAddress({
    hops: options.trustProxy ?? 0,
    cidrs: options.trustProxyCidrs,
  });

  let serviceNames: string[] = [];
  let reflection: ReflectionIndex | undefined;
  const separateAdmin = options.adminPort !== undefined;
  const fastRoutes = new Map<string, FastRoute>();
  const interceptors = [metrics, ...(options.interceptors ?? [])];
  const contextValues = (req: NodeRequest): ContextValues => {
    const values = new CallValues();
    values.set(clientAddressKey, clientAddress(req));
    values.set(presetResponseSupportedKey, true);
    options.contextValues?.(req, values);
    return values;
  };
  const connectHandler = connectNodeAdapter({
    grpc: true,
    grpcWeb: true,
    connect: true,
    readMaxBytes,
    interceptors,
    // Handlers' signals abort only when the grace period is over, so in-flight calls can finish.
    shutdownSignal: hardStop.signal,
    routes(stock) {
      // Every route goes to the stock handler; unary ones are recorded for the fast path too.
      const router = recordingRouter(stock, fastRoutes);
      options.routes?.(withPresetResponses(router));
      // Probes and tooling must work without credentials and without rate limits.
      const infra = { interceptors: [metrics] };
      registerHealth(
        { service: (svc, impl) => router.service(svc, impl, infra) } as ConnectRouter,
        {
          state,
          serviceNames: () => serviceNames,
          watchIntervalMs: options.healthWatchIntervalMs ?? 5000,
        },
      );
      const names = new Set(router.handlers.map((h) => h.service.typeName));
      names.add('grpc.reflection.v1.ServerReflection');
      names.add('grpc.reflection.v1alpha.ServerReflection');
      serviceNames = [...names].sort();
      const files = [
        ...new Set([
          ...router.handlers.map((h) => h.service.file),
          ...descriptorFiles(options.descriptors),
          ...reflectionFiles,
          file_grpc_health_v1_health,
        ]),
      ];
      reflection = new ReflectionIndex(files, serviceNames);
      if (!separateAdmin) {
        registerReflection(
          { service: (svc, impl) => router.service(svc, impl, infra) } as ConnectRouter,
          reflection,
        );
      }
    },
    contextValues,
    fallback(_req, res) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"status":"not found"}');
    },
  });

  const plain = createPlainHttp({
    state,
    registry,
    routes: options.http ?? {},
    corsAllowedOrigins: options.corsAllowedOrigins ?? [],
    operatorRoutes: !separateAdmin,
  });
  const fastPath: FastPath | undefined = fastPathEnabled(options.fastPath)
    ? createFastPath({
        routes: fastRoutes,
        interceptors,
        readMaxBytes,
        maxJsonDepth,
        shutdownSignal: hardStop.signal,
        contextValues,
        onServe: fastPathCounter(registry),
      })
    : undefined;
  const handler = routePlainFirst(
    plain,
    (req, res) => {
      if (fastPath?.(req, res)) return;
      connectHandler(guardJsonDepth(req, maxJsonDepth, readMaxBytes), res);
    },
    (err, req) => logger.error({ err, path: req.url }, 'http route failed'),
  );
  const hub = new ConnectionHub(handler, logger, options.onUpgrade, options.h2);
  const adminHub = separateAdmin ? createAdminHub(state, registry, reflection!, logger) : undefined;
  let stopping: Promise<void> | undefined;

  async function drain(): Promise<void> {
    const deadline = Date.now() + graceMs;
    state.startDraining();
    logger.info({ inFlight: hub.inFlightRequests, graceMs }, 'draining');
    const delay = Math.min(options.drainDelayMs ?? 0, graceMs);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    const finished = await hub.beginDrain(deadline);
    await adminHub?.beginDrain(deadline);
    for (const hook of drainHooks) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      await withTimeout(hook(), remaining).catch((err: unknown) =>
        logger.error({ err }, 'drain hook failed'),
      );
    }
    if (!finished) hardStop.abort();
    await hub.finishDrain(deadline);
    await adminHub?.finishDrain(deadline);
    hardStop.abort();
    logger.info('stopped');
  }

  return {
    async start() {
      const host = options.host ?? '127.0.0.1';
      const { port, url } = await listen(hub, host, options.port ?? 0);
      logger.info({ url }, 'listening');
      if (!adminHub) return { port, url };
      const admin = await listen(adminHub, host, options.adminPort ?? 0);
      logger.info({ url: admin.url }, 'admin port listening');
      return { port, url, adminPort: admin.port, adminUrl: admin.url };
    },
    stop() {
      stopping ??= drain();
      return stopping;
    },
    setReady(ready) {
      state.setReady(ready);
    },
  };
}

/** `kith_rpc_fast_path_total`: calls the fast path answered (the rest went to connect-node). */
function fastPathCounter(registry: Registry): () => void {
  const name = 'kith_rpc_fast_path_total';
  const counter =
    (registry.getSingleMetric(name) as Counter | undefined) ??
    new Counter({
      name,
      help: 'Unary Connect calls served by the fast path.',
      registers: [registry],
    });
  return () => counter.inc();
}

function fastPathEnabled(option: boolean | undefined): boolean {
  if (option !== undefined) return option;
  const env = process.env.KITH_RPC_FAST_PATH?.trim().toLowerCase();
  return env !== '0' && env !== 'false' && env !== 'off';
}

/**
 * Connections the kernel may hold ready before the process accepts them (capped by
 * net.core.somaxconn). Node's default, 511, overflowed when an overloaded embedded process
 * fell seconds behind a burst of new client connections: the kernel dropped the handshakes'
 * last ACKs and the clients' requests met resets (TcpExtListenOverflows).
 */
const LISTEN_BACKLOG = 4096;

function listen(
  hub: ConnectionHub,
  host: string,
  port: number,
): Promise<{ port: number; url: string }> {
  return new Promise((resolve, reject) => {
    hub.tcp.once('error', reject);
    hub.tcp.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      hub.tcp.off('error', reject);
      const bound = (hub.tcp.address() as AddressInfo).port;
      resolve({ port: bound, url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}` });
    });
  });
}

/** The operator's port: metrics, reflection and the detailed readiness report, no API. */
function createAdminHub(
  state: HealthState,
  registry: Registry,
  reflection: ReflectionIndex,
  logger: Logger,
): ConnectionHub {
  const connectHandler = connectNodeAdapter({
    grpc: true,
    grpcWeb: true,
    connect: true,
    routes(router) {
      registerReflection(router, reflection);
    },
    fallback(_req, res) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"status":"not found"}');
    },
  });
  const plain = createPlainHttp({
    state,
    registry,
    routes: {},
    corsAllowedOrigins: [],
    operatorRoutes: true,
  });
  const handler = routePlainFirst(
    plain,
    (req, res) => connectHandler(req, res),
    (err, req) => logger.error({ err, path: req.url }, 'admin route failed'),
  );
  return new ConnectionHub(handler, logger);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
