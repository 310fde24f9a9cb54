import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createNatsBus } from '@kith/bus';
import type { Bus } from '@kith/bus';
import { createPostgresDatabase } from '@kith/db';
import type { Database } from '@kith/db';
import { createRootLogger } from '@kith/logging';
import { recordEvent } from '@kith/runtime';
import { freePort, requireService, waitFor } from '@kith/testkit';
import { sql } from 'kysely';
import pg from 'pg';
import { uuidv7 } from 'uuidv7';
import { countRows, kithServices, listServicesWithBufCurl } from './helpers.js';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');
const names = ['auth', 'user', 'post', 'circle', 'support', 'moderation', 'gateway'] as const;
type Name = (typeof names)[number];

const databaseUrl = await requireService('postgres');
const natsUrl = await requireService('nats');
const skip = !databaseUrl || !natsUrl ? 'Postgres and NATS are required' : false;

function registration(userId: string, username: string) {
  return {
    source: 'auth',
    actor: { service: 'auth' } as const,
    payload: {
      case: 'authUserRegistered' as const,
      value: { userId, username, email: `${username}@example.test`, locale: 'en' },
    },
  };
}

describe('distributed mode: one process per service over Postgres and NATS', { skip }, () => {
  const dbName = `kith_e2e_${crypto.randomBytes(4).toString('hex')}`;
  const processes = new Map<Name, { child: ChildProcess; url: string }>();
  let env: NodeJS.ProcessEnv;
  let auth: Database;
  let user: Database;
  let bus: Bus;

  function serviceMain(name: Name) {
    return path.join(repoRoot, `services/${name}/src/main.ts`);
  }

  async function startService(name: Name): Promise<void> {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', serviceMain(name), 'serve'], {
      cwd: repoRoot,
      env: { ...env, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const url = `http://127.0.0.1:${port}`;
    processes.set(name, { child, url });
    await waitFor(
      async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200,
      { timeoutMs: 60_000, intervalMs: 200, what: `${name} ready` },
    );
  }

  async function stopService(name: Name, signal: NodeJS.Signals = 'SIGTERM') {
    const entry = processes.get(name);
    if (!entry || entry.child.exitCode !== null) return;
    const exited = new Promise((r) => entry.child.once('exit', r));
    entry.child.kill(signal);
    await exited;
  }

  before(async () => {
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const url = new URL(databaseUrl as string);
    url.pathname = `/${dbName}`;
    env = {
      ...process.env,
      KITH_MODE: 'distributed',
      DATABASE_URL: url.toString(),
      NATS_URL: natsUrl,
      PAGE_TOKEN_SECRET: crypto.randomBytes(32).toString('base64url'),
      LOG_LEVEL: 'warn',
      SHUTDOWN_GRACE: '5s',
    };
    // A clean event stream: this suite owns the default stream on this NATS server, so nothing
    // left by an earlier run is delivered into this run's fresh database.
    const nc = await connect({ servers: natsUrl as string });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete('KITH_EVENTS').catch(() => false);
    await nc.close();
    bus = await createNatsBus({
      servers: natsUrl as string,
      name: 'kith-e2e',
      logger: createRootLogger({ level: 'silent' }),
    });
    for (const name of names) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', serviceMain(name), 'migrate'], {
        cwd: repoRoot,
        env,
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, `${name} migrate failed: ${r.stderr}`);
    }
    await Promise.all(names.map((name) => startService(name)));
    auth = createPostgresDatabase({ url: env.DATABASE_URL as string, schema: 'auth', poolMax: 2 });
    user = createPostgresDatabase({ url: env.DATABASE_URL as string, schema: 'user', poolMax: 2 });
  });

  after(async () => {
    await Promise.all(names.map((name) => stopService(name)));
    await auth?.close();
    await user?.close();
    await bus?.drain();
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  });

  test('every process lists its services through reflection and is ready', async () => {
    const all: string[] = [];
    for (const name of names) {
      const { url } = processes.get(name)!;
      const listed = await listServicesWithBufCurl(url);
      assert.ok(listed.includes('grpc.health.v1.Health'), `${name} serves health`);
      all.push(...listed);
      assert.equal((await fetch(`${url}/readyz`)).status, 200);
    }
    for (const service of kithServices) assert.ok(all.includes(service), `${service} is served`);
  });

  test('an auth outbox event is consumed once by the user process, also when redelivered', async () => {
    const id = uuidv7();
    const eventId = await auth.transaction((trx) => recordEvent(trx, registration(id, 'dist_one')));
    await waitFor(async () => (await countRows(user, 'profiles', sql`user_id = ${id}`)) === 1, {
      timeoutMs: 20_000,
      what: 'profile from the event',
    });
    const row = (
      await sql<{ data: Uint8Array; headers: Record<string, string> }>`
        select data, headers from ${sql.table('auth.outbox')} where id = ${eventId}`.execute(
        auth.db,
      )
    ).rows[0];
    assert.ok(row);
    // The same event again under a new broker dedup key: a redelivery the inbox must absorb.
    await bus.publish(
      {
        id: eventId,
        subject: 'kith.events.auth.user_registered',
        data: row.data,
        headers: row.headers,
      },
      { dedupKey: uuidv7() },
    );
    const marker = uuidv7();
    await auth.transaction((trx) => recordEvent(trx, registration(marker, 'dist_marker')));
    await waitFor(async () => (await countRows(user, 'profiles', sql`user_id = ${marker}`)) === 1, {
      timeoutMs: 20_000,
      what: 'marker profile',
    });
    assert.equal(await countRows(user, 'profiles', sql`user_id = ${id}`), 1);
    assert.equal(await countRows(user, 'dead_letters'), 0);
  });

  test('killing the consumer process mid-stream loses nothing and applies nothing twice', async () => {
    const before = await countRows(user, 'profiles');
    const ids = Array.from({ length: 40 }, () => uuidv7());
    const writing = (async () => {
      for (const [i, id] of ids.entries()) {
        await auth.transaction((trx) => recordEvent(trx, registration(id, `dist_kill_${i}`)));
      }
    })();
    await waitFor(async () => (await countRows(user, 'profiles')) > before, { timeoutMs: 20_000 });
    await stopService('user', 'SIGKILL');
    await writing;
    await startService('user');
    await waitFor(async () => (await countRows(user, 'profiles')) >= before + ids.length, {
      timeoutMs: 60_000,
      what: 'every profile after the restart',
    });
    assert.equal(await countRows(user, 'profiles'), before + ids.length);
    assert.equal(await countRows(user, 'dead_letters'), 0);
  });
});
