import { z } from 'zod';
import { envCidrList, envDurationMs, envInt, envList, envUrl } from './parsers.js';

const ONE_MIB = 1024 * 1024;

/** TRUST_PROXY: 'true'/'false' or a number of proxy hops in front of the process. */
function envTrustProxy() {
  return z.string().transform((raw, ctx) => {
    const word = raw.trim().toLowerCase();
    if (word === 'true') return true;
    if (word === 'false') return false;
    if (/^\d+$/.test(word) && Number(word) <= 32) return Number(word);
    ctx.addIssue({ code: 'custom', message: 'expected true, false or a number of proxy hops' });
    return z.NEVER;
  });
}

/**
 * The variables every Kith process shares. Defaults give a working embedded process; a
 * service adds its own keys with `platformEnvSchema.extend({ ... })` (the distributed-mode
 * refinement below survives extend).
 */
export const platformEnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    KITH_MODE: z.enum(['embedded', 'distributed']).default('embedded'),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: envInt({ min: 0, max: 65535 }).default(8080),
    ADMIN_PORT: envInt({ min: 0, max: 65535 }).optional(),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    DATABASE_URL: envUrl({ protocols: ['postgres', 'postgresql'] }).optional(),
    DATABASE_MIGRATION_URL: envUrl({ protocols: ['postgres', 'postgresql'] }).optional(),
    DB_POOL_MAX: envInt({ min: 1, max: 1000 }).default(10),
    DB_STATEMENT_TIMEOUT: envDurationMs().default(30_000),
    // Statements each pooled connection keeps prepared; 0 behind a pooler that cannot keep them
    // (PgBouncer before 1.21 in transaction mode).
    DB_PREPARED_STATEMENTS: envInt({ min: 0, max: 10_000 }).default(100),
    NATS_URL: envUrl({ protocols: ['nats', 'tls', 'ws', 'wss'] }).optional(),
    NATS_USER: z.string().min(1).optional(),
    NATS_PASSWORD: z.string().min(1).optional(),
    REDIS_URL: envUrl({ protocols: ['redis', 'rediss'] }).optional(),
    // Every key this deployment writes to Redis (cache, revocations, rate limits) starts with
    // it, so deployments or test runs sharing one Redis never see each other's counters.
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'letters, digits, _ . - (at most 64)' })
      .default('kith'),
    KITH_DATA_DIR: z.string().min(1).default('.data'),
    CORS_ALLOWED_ORIGINS: envList().default(() => []),
    MAX_BODY_BYTES: envInt({ min: 1 }).default(ONE_MIB),
    SHUTDOWN_GRACE: envDurationMs().default(10_000),
    // Unset: 5 s (at most half the grace) in distributed mode, so a load balancer sees /readyz
    // answer 503 before the listener closes; 0 in embedded mode (nothing routes around it).
    SHUTDOWN_DRAIN_DELAY: envDurationMs().optional(),
    TRUST_PROXY: envTrustProxy().default(false),
    TRUST_PROXY_CIDRS: envCidrList().default(() => []),
    AUTH_JWKS_URL: envUrl({ protocols: ['http', 'https'] }).optional(),
    AUTH_ISSUER: z.string().min(1).default('kith'),
    AUTH_AUDIENCE: z.string().min(1).default('kith'),
    PAGE_TOKEN_SECRET: z.string().min(32, { message: 'must be at least 32 characters' }).optional(),
    OTEL_EXPORTER_OTLP_ENDPOINT: envUrl({ protocols: ['http', 'https'] }).optional(),
    OTEL_SERVICE_NAME: z.string().min(1).default('kith'),
  })
  .superRefine(
    (env, ctx) => {
      // Other keys may have failed to parse (this runs anyway): compare only numbers.
      const [delay, grace]: unknown[] = [env.SHUTDOWN_DRAIN_DELAY, env.SHUTDOWN_GRACE];
      if (typeof delay === 'number' && typeof grace === 'number' && delay >= grace) {
        ctx.addIssue({
          code: 'custom',
          path: ['SHUTDOWN_DRAIN_DELAY'],
          message:
            'must be shorter than SHUTDOWN_GRACE (in-flight calls and the bus drain after it)',
        });
      }
      if ((env.NATS_USER === undefined) !== (env.NATS_PASSWORD === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: [env.NATS_USER === undefined ? 'NATS_USER' : 'NATS_PASSWORD'],
          message: 'NATS_USER and NATS_PASSWORD (or NATS_PASSWORD_FILE) go together',
        });
      }
      if (env.KITH_MODE !== 'distributed') return;
      // Embedded mode brings its own database, bus and secret; distributed mode has none.
      for (const key of ['DATABASE_URL', 'NATS_URL', 'PAGE_TOKEN_SECRET'] as const) {
        if (env[key] === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: 'required when KITH_MODE=distributed',
          });
        }
      }
    },
    // Run even when other keys failed, so the operator sees every problem at once.
    { when: () => true },
  );

export type PlatformEnv = z.output<typeof platformEnvSchema>;

/** 5 s in distributed mode, at most half the grace; 0 in embedded mode. */
function defaultDrainDelayMs(env: PlatformEnv): number {
  return env.KITH_MODE === 'distributed' ? Math.min(5000, Math.floor(env.SHUTDOWN_GRACE / 2)) : 0;
}

export type KithMode = PlatformEnv['KITH_MODE'];

/** Configuration safe to log: it holds no secrets (see PlatformSecrets). */
export interface PlatformConfig {
  mode: KithMode;
  nodeEnv: PlatformEnv['NODE_ENV'];
  logLevel: PlatformEnv['LOG_LEVEL'];
  http: {
    host: string;
    port: number;
    /**
     * null: metrics, reflection and the detailed readiness report share the API port (embedded
     * use on a laptop). Set: they are served only on this port, bound to the same host.
     */
    adminPort: number | null;
    corsAllowedOrigins: string[];
    maxBodyBytes: number;
    /** false: use the socket address; true: trust X-Forwarded-For fully; n: trust n hops. */
    trustProxy: boolean | number;
    /** Proxy ranges whose X-Forwarded-For is believed; empty: TRUST_PROXY alone decides. */
    trustProxyCidrs: string[];
  };
  /**
   * url null: embedded PGlite under dataDir. migrationUrl: the schema owner's role, used by
   * `migrate` (null: `url`, which then needs DDL rights too).
   */
  db: {
    url: string | null;
    migrationUrl: string | null;
    poolMax: number;
    preparedStatements: number;
    statementTimeoutMs: number;
  };
  /** null: the in-process bus. user null: no credentials (the password is a secret). */
  nats: { url: string; user: string | null } | null;
  /** null: in-memory cache and rate limits (per process). */
  redis: { url: string; keyPrefix: string } | null;
  dataDir: string;
  shutdownGraceMs: number;
  /** After SIGTERM, readiness answers 503 but the listener stays open this long. */
  shutdownDrainDelayMs: number;
  auth: { jwksUrl: string | null; issuer: string; audience: string };
  /** null: the tracing SDK stays disabled (the OpenTelemetry API is a no-op). */
  otel: { endpoint: string; serviceName: string } | null;
}

/** Secrets, kept apart so PlatformConfig can be logged whole. */
export interface PlatformSecrets {
  /** undefined in embedded mode when unset: the runtime derives one per data dir. */
  pageTokenSecret: string | undefined;
  /** With `nats.user`: the NATS password (NATS_PASSWORD or NATS_PASSWORD_FILE). */
  natsPassword: string | undefined;
}

export function toPlatformConfig(env: PlatformEnv): PlatformConfig {
  return {
    mode: env.KITH_MODE,
    nodeEnv: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    http: {
      host: env.HOST,
      port: env.PORT,
      adminPort: env.ADMIN_PORT ?? null,
      corsAllowedOrigins: env.CORS_ALLOWED_ORIGINS,
      maxBodyBytes: env.MAX_BODY_BYTES,
      trustProxy: env.TRUST_PROXY,
      trustProxyCidrs: env.TRUST_PROXY_CIDRS,
    },
    db: {
      url: env.DATABASE_URL ?? null,
      migrationUrl: env.DATABASE_MIGRATION_URL ?? null,
      poolMax: env.DB_POOL_MAX,
      preparedStatements: env.DB_PREPARED_STATEMENTS,
      statementTimeoutMs: env.DB_STATEMENT_TIMEOUT,
    },
    nats: env.NATS_URL ? { url: env.NATS_URL, user: env.NATS_USER ?? null } : null,
    redis: env.REDIS_URL ? { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX } : null,
    dataDir: env.KITH_DATA_DIR,
    shutdownGraceMs: env.SHUTDOWN_GRACE,
    shutdownDrainDelayMs: env.SHUTDOWN_DRAIN_DELAY ?? defaultDrainDelayMs(env),
    auth: {
      jwksUrl: env.AUTH_JWKS_URL ?? null,
      issuer: env.AUTH_ISSUER,
      audience: env.AUTH_AUDIENCE,
    },
    otel: env.OTEL_EXPORTER_OTLP_ENDPOINT
      ? { endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: env.OTEL_SERVICE_NAME }
      : null,
  };
}

export function toPlatformSecrets(env: PlatformEnv): PlatformSecrets {
  return { pageTokenSecret: env.PAGE_TOKEN_SECRET, natsPassword: env.NATS_PASSWORD };
}
