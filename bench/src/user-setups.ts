// The two ways the service benches (bench:user, bench:circle) run Kith: embedded (one process,
// PGlite, the local bus) and distributed (auth, user and any other service each in their own
// process over Postgres, NATS JetStream and Redis, as the Helm chart runs them). Both hand the
// scenarios the same things.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createNatsBus } from '@kith/bus';
import type { Bus, Subscription } from '@kith/bus';
import { createPostgresDatabase } from '@kith/db';
import type { Database } from '@kith/db';
import { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import { createRootLogger } from '@kith/logging';
import { createTestDatabase, distributedEnv, freePort, waitFor } from '@kith/testkit';
import { CONSENT, startAuthHarness, startSession, uniqueUser } from '@kith/auth-service/testing';
import { circleModule } from '@kith/circle-service';
import { moderationModule } from '@kith/moderation-service';
import { postModule } from '@kith/post-service';
import { gatewayModule } from '@kith/gateway';
import { supportModule } from '@kith/support-service';
import { userModule } from '@kith/user-service';
import { sql } from 'kysely';

/**
 * A client transport as `token` from `ip` (behind TRUST_PROXY, so per-user and per-address
 * limits apply as to a real client), in binary, the SDKs' wire format.
 */
export function benchTransport(baseUrl: string, token: string, ip: string) {
  return createConnectTransport({
    baseUrl,
    httpVersion: '1.1',
    useBinaryFormat: true,
    interceptors: [
      (next) => (req) => {
        if (token) req.header.set('authorization', `Bearer ${token}`);
        req.header.set('x-forwarded-for', ip);
        return next(req);
      },
    ],
  });
}

export interface BenchUser {
  userId: string;
  accessToken: string;
}

/** The services a bench runs besides auth and user (which every bench needs). */
export type ExtraService = 'circle' | 'post' | 'support' | 'moderation' | 'gateway';

/** A staff role a bench user may hold (auth's `accounts.role`). */
export type StaffRole = 'triage' | 'moderator' | 'admin';

export interface Setup {
  mode: 'embedded' | 'distributed';
  authUrl: string;
  userUrl: string;
  /** Where each service answers (embedded: one URL for all). */
  urlOf(service: 'auth' | 'user' | ExtraService): string;
  /** Distributed: the services' Redis key prefix (a bench may reach their cached lists). */
  redisKeyPrefix?: string;
  /** The bus, as a service of this deployment reaches it (internal requests, live events). */
  bus: Bus;
  /**
   * A verified, signed-in user; with `role`, one holding that staff role, its access token
   * issued after the role was set (tokens carry the role at issue).
   */
  signUp(ip: string, role?: StaffRole): Promise<BenchUser>;
  /** A service's own database (its schema), as a bench seeds or inspects it directly. */
  db(service: 'auth' | 'user' | ExtraService): Database;
  /** A durable consumer of every user event, as the gateway and the push worker have. */
  consumeUserEvents(durable: string, handler: (data: Uint8Array) => void): Promise<Subscription>;
  /**
   * Resolves once every event written so far is published and every consumer has caught up, so
   * a scenario measures its own load and not the backlog the sign-ups left behind.
   */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

/** Unpublished outbox rows of the services, on any executor that reaches their schemas. */
const unpublishedSql = (services: readonly string[]) =>
  sql<{ n: number }>`select ${sql.join(
    // The gateway keeps no outbox.
    services
      .filter((name) => name !== 'gateway')
      .map(
        (name) =>
          sql`(select count(*) from ${sql.table(`${name}.outbox`)} where published_at is null)`,
      ),
    sql` + `,
  )} as n`;

/** Polls `backlog` until it is 0 on two reads in a row. */
async function settleWhen(backlog: () => Promise<number>): Promise<void> {
  let quietReads = 0;
  await waitFor(async () => ((await backlog()) === 0 ? ++quietReads >= 2 : (quietReads = 0) > 0), {
    timeoutMs: 120_000,
    intervalMs: 100,
    what: 'the event backlog to drain',
  });
}

/** `Setup.consumeUserEvents` over a bus. */
const userEventsOn =
  (bus: Bus): Setup['consumeUserEvents'] =>
  (durable, handler) =>
    bus.consume({
      durable,
      subjects: 'kith.events.user.>',
      handler: async (m) => handler(m.data),
    });

const modulesOf = {
  circle: circleModule,
  post: postModule,
  support: supportModule,
  moderation: moderationModule,
  gateway: gatewayModule,
} as const;

export async function embeddedSetup(extra: readonly ExtraService[] = []): Promise<Setup> {
  // Real time: the latencies are wall-clock.
  const clock = { now: () => new Date(), advance() {}, set() {} };
  const h = await startAuthHarness({
    modules: [userModule, ...extra.map((name) => modulesOf[name])],
    clock,
  });
  const bus = h.kith.contexts.get('user')!.bus;
  const services = ['auth', 'user', ...extra];
  return {
    mode: 'embedded',
    authUrl: h.url,
    userUrl: h.url,
    urlOf: () => h.url,
    bus,
    // Register, the mailed link, login: profiles come from auth's events.
    async signUp(ip, role) {
      const user = await h.signUp({ ip });
      if (!role) return user;
      // A new session after the change, started as Login starts one, so its token has the role.
      await h.setRole(user.userId, role);
      return {
        userId: user.userId,
        accessToken: (await startSession(h, user, { ip })).accessToken,
      };
    },
    db: (service) => h.kith.contexts.get(service)!.database!,
    consumeUserEvents: userEventsOn(bus),
    // The local bus's tables live in the same PGlite, in the "bus" schema.
    settle: () =>
      settleWhen(async () => {
        const { rows } = await sql<{ n: number }>`
          select (${unpublishedSql(services)})
               + (select count(*) from bus.deliveries)
               + (select count(*) from bus.consumer_state
                  where cursor < (select coalesce(max(seq), 0) from bus.messages)) as n`.execute(
          h.kith.contexts.get('user')!.database!.db,
        );
        return Number(rows[0]!.n);
      }),
    stop: () => h.stop(),
  };
}

const repoRoot = path.resolve(import.meta.dirname, '../..');

/**
 * The deployment a bench runs in `mode`: embedded, or distributed over the servers named by
 * DATABASE_URL, NATS_URL and REDIS_URL (the local defaults otherwise).
 */
export function setupFor(
  mode: 'embedded' | 'distributed',
  extra: readonly ExtraService[] = [],
): Promise<Setup> {
  if (mode === 'embedded') return embeddedSetup(extra);
  return distributedSetup(
    {
      databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
      natsUrl: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
      redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    },
    extra,
  );
}

/**
 * Auth, user and the `extra` services, each its own process (`services/<name>/src/main.ts
 * serve`), over a database of their own. It deletes the KITH_EVENTS stream first, as the distributed e2e test does: durable
 * consumers left on the server by an earlier run would hand their old messages to this run's
 * fresh database. Run it on a machine whose NATS nothing else is using. Each process logs its
 * warnings and errors to <tmpdir>/kith-bench-<name>.log.
 */
export async function distributedSetup(
  urls: {
    databaseUrl: string;
    natsUrl: string;
    redisUrl: string;
  },
  extra: readonly ExtraService[] = [],
): Promise<Setup> {
  const services = ['auth', 'user', ...extra] as const;
  const database = await createTestDatabase(urls.databaseUrl, 'kith_bench');
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kith-bench-'));
  const ports: Record<string, number> = {};
  for (const name of services) ports[name] = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...distributedEnv(database, { natsUrl: urls.natsUrl, redisUrl: urls.redisUrl }),
    KITH_DATA_DIR: dataDir,
    TRUST_PROXY: '1',
    LOG_LEVEL: process.env.KITH_BENCH_LOG_LEVEL ?? 'warn',
    AUTH_MAIL_TO_FILES: 'true',
    AUTH_LINK_BASE_URL: 'http://app.kith.test',
    AUTH_JWKS_URL: `http://127.0.0.1:${ports.auth}/.well-known/jwks.json`,
    AUTH_KEY_ENCRYPTION_KEY: crypto.randomBytes(32).toString('base64'),
    USER_EXPORT_LINK_SECRET: crypto.randomBytes(32).toString('base64'),
    SUPPORT_CONTACT_SECRET: crypto.randomBytes(32).toString('base64'),
  };
  // Kept open: settle() reads the consumers' backlog from it.
  const nc = await connect({ servers: urls.natsUrl });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete('KITH_EVENTS').catch(() => false);

  const children: ChildProcess[] = [];
  // The processes run the services' bundles, as the Helm chart's pods do (tsx's transform and
  // loader would be in every figure otherwise), built first for what the checkout holds.
  const built = spawnSync(process.execPath, ['scripts/build.mjs', ...services], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(`build failed: ${built.stderr}`);
  const main = (name: string) => path.join(repoRoot, `services/${name}/dist/main.js`);
  for (const name of services) {
    const r = spawnSync(process.execPath, [main(name), 'migrate'], {
      cwd: repoRoot,
      env,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`${name} migrate failed: ${r.stderr}`);
  }
  const start = async (name: string) => {
    // Warnings and errors of each process go to a log of its own, kept after the run.
    const log = await fs.open(path.join(os.tmpdir(), `kith-bench-${name}.log`), 'w');
    // KITH_BENCH_CPU_PROF=<dir>: each process writes a V8 CPU profile there when it stops.
    const profile = process.env.KITH_BENCH_CPU_PROF
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.KITH_BENCH_CPU_PROF}`]
      : [];
    // KITH_BENCH_NODE_ARGS: more node options for each process (e.g. --trace-gc, which
    // NODE_OPTIONS refuses).
    const nodeArgs = process.env.KITH_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const child = spawn(process.execPath, [...profile, ...nodeArgs, main(name), 'serve'], {
      cwd: repoRoot,
      env: { ...env, PORT: String(ports[name]) },
      stdio: ['ignore', log.fd, log.fd],
    });
    child.once('exit', () => void log.close());
    children.push(child);
    const url = `http://127.0.0.1:${ports[name]}`;
    await waitFor(
      async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200,
      { timeoutMs: 60_000, intervalMs: 200, what: `${name} ready` },
    );
    return url;
  };
  const serviceUrls = Object.fromEntries(
    await Promise.all(services.map(async (name) => [name, await start(name)] as const)),
  );
  const authUrl = serviceUrls.auth!;
  const userUrl = serviceUrls.user!;
  const auth = createPostgresDatabase({ url: database.url, schema: 'auth', poolMax: 2 });
  // Each service's schema in the one database, opened when a bench first asks for it.
  const schemas = new Map<string, Database>([['auth', auth]]);
  const bus: Bus = await createNatsBus({
    servers: urls.natsUrl,
    name: 'kith-bench',
    logger: createRootLogger({ level: 'silent' }),
  });

  return {
    mode: 'distributed',
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    authUrl,
    userUrl,
    urlOf: (name) => serviceUrls[name]!,
    bus,
    async signUp(ip, role) {
      const { email, username, password } = uniqueUser();
      const client = createClient(
        AuthService,
        createConnectTransport({
          baseUrl: authUrl,
          httpVersion: '1.1',
          interceptors: [
            (next) => (req) => {
              req.header.set('x-forwarded-for', ip);
              return next(req);
            },
          ],
        }),
      );
      await client.register({ email, password, username, consent: CONSENT });
      // The mailed link is the auth bench's subject, not this one's: the address is marked
      // verified directly; a staff role is set before the login, so the token carries it.
      await sql`update ${auth.table('accounts')} set email_verified_at = now()
        ${role ? sql`, role = ${role}` : sql``} where email = ${email}`.execute(auth.db);
      const login = await client.login({ identifier: email, password });
      if (login.result.case !== 'tokens') throw new Error(`login answered ${login.result.case}`);
      return { userId: login.result.value.userId, accessToken: login.result.value.accessToken };
    },
    db(service) {
      let db = schemas.get(service);
      if (!db) {
        db = createPostgresDatabase({ url: database.url, schema: service, poolMax: 2 });
        schemas.set(service, db);
      }
      return db;
    },
    consumeUserEvents: userEventsOn(bus),
    settle: () =>
      settleWhen(async () => {
        const { rows } = await unpublishedSql(services).execute(auth.db);
        let pending = Number(rows[0]!.n);
        for await (const c of jsm.consumers.list('KITH_EVENTS')) {
          pending += c.num_pending + c.num_ack_pending;
        }
        return pending;
      }),
    async stop() {
      await bus.drain();
      await nc.close();
      await Promise.all([...schemas.values()].map((db) => db.close()));
      await Promise.all(
        children.map(
          (child) =>
            new Promise((resolve) => {
              if (child.exitCode !== null) return resolve(undefined);
              child.once('exit', resolve);
              child.kill('SIGTERM');
            }),
        ),
      );
      await fs.rm(dataDir, { recursive: true, force: true });
      await database.drop();
    },
  };
}
