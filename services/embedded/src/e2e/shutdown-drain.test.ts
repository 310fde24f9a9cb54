import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import {
  createTestDatabase,
  distributedEnv,
  freePort,
  requireService,
  waitFor,
} from '@kith/testkit';
import type { TestDatabase } from '@kith/testkit';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');

const databaseUrl = await requireService('postgres');
const natsUrl = await requireService('nats');
const redisUrl = await requireService('redis');
const skip =
  !databaseUrl || !natsUrl || !redisUrl ? 'Postgres, NATS and Redis are required' : false;

/** Open-loop load: one request every 10 ms whatever the answers do, as a load balancer sends. */
const INTERVAL_MS = 10;
/** Bounds: the test never sends more than this, nor runs the load longer than this. */
const MAX_REQUESTS = 1500;
const MAX_LOAD_MS = 20_000;
const GRACE = '10s';
const DRAIN_DELAY = '4s';
/** What the chart gives Kubernetes: SIGKILL this long after SIGTERM (grace + 5 s). */
const KILL_AFTER_MS = 15_000;

interface Sent {
  sentAt: number;
  ok?: boolean;
  error?: string;
}

/**
 * The circle service is the process under load: it runs on real Postgres, NATS and Redis. Its
 * JetStream consumers (the user profiles and blocks it keeps) may find user events left on the
 * shared stream by earlier suites and apply them meanwhile, as a replica joining a live system
 * would. The stream is not deleted here: the distributed e2e suite may be using it at the same
 * time (two test files run at once).
 * The request is the gRPC health Check RPC over the Connect protocol: it goes through the same
 * listener, protocol sniffing, adapter and in-flight tracking as every RPC, and pings Postgres,
 * NATS and Redis on each call.
 */
describe.skipIf(skip)('shutdown of a distributed service under load', () => {
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    database = await createTestDatabase(databaseUrl as string, 'kith_drain');
    env = {
      ...process.env,
      ...distributedEnv(database, { natsUrl: natsUrl!, redisUrl: redisUrl! }),
      AUTH_JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json',
      SHUTDOWN_GRACE: GRACE,
      SHUTDOWN_DRAIN_DELAY: DRAIN_DELAY,
    };
    const migrated = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'services/circle/src/main.ts', 'migrate'],
      { cwd: repoRoot, env, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    assert.equal(migrated.status, 0, 'circle migrate failed');
  });

  afterAll(async () => {
    await database?.drop();
  });

  test('SIGTERM at 100 requests/s: readiness goes 503 first, every request sent before that is answered, exit 0 within the grace', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, ['--import', 'tsx', 'services/circle/src/main.ts'], {
      cwd: repoRoot,
      env: { ...env, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    let running = true;
    void exited.then(() => (running = false));
    await waitFor(
      async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200,
      { timeoutMs: 60_000, intervalMs: 100, what: 'circle ready' },
    );

    const sent: Sent[] = [];
    const answers: Promise<void>[] = [];
    const call = (): void => {
      const entry: Sent = { sentAt: Date.now() };
      sent.push(entry);
      answers.push(
        fetch(`${url}/grpc.health.v1.Health/Check`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
          signal: AbortSignal.timeout(KILL_AFTER_MS),
        }).then(
          async (res) => {
            await res.arrayBuffer();
            entry.ok = res.status === 200;
            if (!entry.ok) entry.error = `HTTP ${res.status}`;
          },
          (err: unknown) => {
            entry.ok = false;
            entry.error = String((err as Error).cause ?? err);
          },
        ),
      );
    };
    // Open loop: request i goes out at start + i * 10 ms, however slow the answers are.
    const loadStart = Date.now();
    const load = setInterval(() => {
      const due = Math.floor((Date.now() - loadStart) / INTERVAL_MS) + 1;
      while (sent.length < Math.min(due, MAX_REQUESTS) && running) call();
      if (!running || sent.length >= MAX_REQUESTS || Date.now() - loadStart > MAX_LOAD_MS) {
        clearInterval(load);
      }
    }, 2);

    // A readiness probe every 20 ms, as a load balancer's health check would poll. What is
    // judged is the flip the SIGTERM causes: on a loaded machine a dependency check can miss its
    // 2 s budget once before that (the chart's probe tolerates one miss), and such a blip is not
    // the drain under test. The drain delay is long enough for a slow probe to see the flip.
    let readinessOffSentAt: number | undefined;
    const sigterm: { at?: number } = {};
    const probes = (async () => {
      while (running && readinessOffSentAt === undefined) {
        const at = Date.now();
        const status = await fetch(`${url}/readyz`).then(
          (r) => r.arrayBuffer().then(() => r.status),
          () => undefined,
        );
        // A probe still running when the signal came (its checks can take their whole budget
        // on a loaded machine) counts when its 503 arrives after the signal; the flip is then
        // dated at the signal, never before it.
        if (status === 503 && sigterm.at !== undefined && Date.now() >= sigterm.at) {
          readinessOffSentAt = Math.max(at, sigterm.at);
        }
        if (status === undefined) break; // the listener is closed: too late to notice
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    // At least a second of load, and at least 60 requests answered before the signal: on a
    // loaded machine the open loop can fall behind its schedule, and a fixed sleep would then
    // signal before there is a load worth the name.
    await new Promise((r) => setTimeout(r, 1000));
    await waitFor(async () => sent.filter((s) => s.ok !== undefined).length >= 60, {
      timeoutMs: 30_000,
      intervalMs: 20,
      what: '60 requests answered before SIGTERM',
    });
    const sigtermAt = Date.now();
    sigterm.at = sigtermAt;
    child.kill('SIGTERM');
    const killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    const exit = await exited;
    clearTimeout(killTimer);
    clearInterval(load);
    await probes;
    await Promise.all(answers);

    assert.deepEqual(exit, { code: 0, signal: null }, 'the process must exit 0 inside the grace');
    assert.ok(
      readinessOffSentAt !== undefined,
      '/readyz must answer 503 while the process still listens',
    );
    const beforeFlip = sent.filter((s) => s.sentAt < (readinessOffSentAt as number));
    const failedBeforeFlip = beforeFlip.filter((s) => !s.ok).map((s) => s.error);
    assert.ok(beforeFlip.length >= 50, `only ${beforeFlip.length} requests before the flip`);
    assert.deepEqual(failedBeforeFlip, [], 'requests sent before readiness went off failed');
    const afterSigterm = sent.filter((s) => s.sentAt >= sigtermAt);
    assert.equal(afterSigterm[0]?.ok, true, 'the first request after SIGTERM must be served');
    const servedAfterFlip = sent.filter(
      (s) => s.sentAt >= (readinessOffSentAt as number) && s.ok,
    ).length;
    assert.ok(servedAfterFlip > 0, 'the process keeps serving while load balancers notice');
    assert.ok(sent.length <= MAX_REQUESTS);
  });
});
