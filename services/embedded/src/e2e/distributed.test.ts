import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { DescService } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import { ApiKeyScope } from '@kith/gen/kith/auth/v1/types_pb.js';
import { SupportService } from '@kith/gen/kith/support/v1/support_pb.js';
import { UserService } from '@kith/gen/kith/user/v1/user_pb.js';
import { createNatsBus } from '@kith/bus';
import type { Bus } from '@kith/bus';
import { createPostgresDatabase } from '@kith/db';
import type { Database } from '@kith/db';
import { createRootLogger } from '@kith/logging';
import { recordEvent } from '@kith/runtime';
import { readMessage, startSmtpServer } from '@kith/mail/testing';
import type { TestSmtpServer } from '@kith/mail/testing';
import {
  createTestDatabase,
  distributedEnv,
  freePort,
  requireService,
  waitFor,
} from '@kith/testkit';
import type { TestDatabase } from '@kith/testkit';
import { sql } from 'kysely';
import { uuidv7 } from 'uuidv7';
import type { WebSocket } from 'ws';
import { countRows, kithServices, listServicesWithBufCurl } from './helpers.js';
import { openSocket, resumeFrame, subscribeFrame } from './sockets.js';
import type { TestSocket } from './sockets.js';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');
const names = ['auth', 'user', 'post', 'circle', 'support', 'moderation', 'gateway'] as const;
type Name = (typeof names)[number];

const databaseUrl = await requireService('postgres');
const natsUrl = await requireService('nats');
// Revocations reach other processes through the shared Redis (without it, a live announcement).
const redisUrl = await requireService('redis');
const skip =
  !databaseUrl || !natsUrl || !redisUrl ? 'Postgres, NATS and Redis are required' : false;

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

describe.skipIf(skip)(
  'distributed mode: one process per service over Postgres, NATS and Redis',
  () => {
    let database: TestDatabase;
    /** By name; a second gateway replica runs as `gateway2`. */
    const processes = new Map<Name | 'gateway2', { child: ChildProcess; url: string }>();
    /** Chosen up front: every process must know where the auth service serves its JWKS. */
    const ports = new Map<Name, number>();
    let smtp: TestSmtpServer;
    let env: NodeJS.ProcessEnv;
    let auth: Database;
    let user: Database;
    let bus: Bus;
    const sockets: WebSocket[] = [];

    function serviceMain(name: Name) {
      return path.join(repoRoot, `services/${name}/src/main.ts`);
    }

    async function startService(name: Name, instance: Name | 'gateway2' = name): Promise<void> {
      const port = (instance === name ? ports.get(name) : undefined) ?? (await freePort());
      const child = spawn(process.execPath, ['--import', 'tsx', serviceMain(name), 'serve'], {
        cwd: repoRoot,
        env: { ...env, PORT: String(port) },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      const url = `http://127.0.0.1:${port}`;
      processes.set(instance, { child, url });
      await waitFor(
        async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200,
        { timeoutMs: 60_000, intervalMs: 200, what: `${instance} ready` },
      );
    }

    async function stopService(name: Name | 'gateway2', signal: NodeJS.Signals = 'SIGTERM') {
      const entry = processes.get(name);
      if (!entry || entry.child.exitCode !== null) return;
      const exited = new Promise((r) => entry.child.once('exit', r));
      entry.child.kill(signal);
      await exited;
    }

    beforeAll(async () => {
      database = await createTestDatabase(databaseUrl as string, 'kith_e2e');
      for (const name of names) ports.set(name, await freePort());
      smtp = await startSmtpServer({ user: 'kith', pass: 'smtp-secret' });
      env = {
        ...process.env,
        ...distributedEnv(database, { natsUrl: natsUrl!, redisUrl: redisUrl! }),
        SHUTDOWN_GRACE: '5s',
        AUTH_JWKS_URL: `http://127.0.0.1:${ports.get('auth')}/.well-known/jwks.json`,
        AUTH_KEY_ENCRYPTION_KEY: crypto.randomBytes(32).toString('base64'),
        SMTP_URL: smtp.url('kith', 'smtp-secret'),
        // The test's SMTP server is in this process and speaks no TLS.
        AUTH_SMTP_INSECURE_PLAINTEXT_LOCAL_RELAY: 'true',
        AUTH_LINK_BASE_URL: 'https://app.kith.test',
      };
      // A clean event stream: this suite owns the default stream on this NATS server, so nothing
      // left by an earlier run is delivered into this run's fresh database.
      const nc = await connect({ servers: natsUrl as string });
      const jsm = await jetstreamManager(nc);
      await jsm.streams.delete('KITH_EVENTS').catch(() => false);
      await jsm.streams.delete('KITH_REALTIME').catch(() => false);
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
      auth = createPostgresDatabase({
        url: env.DATABASE_URL as string,
        schema: 'auth',
        poolMax: 2,
      });
      user = createPostgresDatabase({
        url: env.DATABASE_URL as string,
        schema: 'user',
        poolMax: 2,
      });
    });

    afterAll(async () => {
      for (const ws of sockets) ws.terminate();
      await Promise.all([...names, 'gateway2' as const].map((name) => stopService(name)));
      await auth?.close();
      await user?.close();
      await bus?.drain();
      await smtp?.close();
      await database?.drop();
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
      const eventId = await auth.transaction((trx) =>
        recordEvent(trx, registration(id, 'dist_one')),
      );
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
      await waitFor(
        async () => (await countRows(user, 'profiles', sql`user_id = ${marker}`)) === 1,
        {
          timeoutMs: 20_000,
          what: 'marker profile',
        },
      );
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
      await waitFor(async () => (await countRows(user, 'profiles')) > before, {
        timeoutMs: 20_000,
      });
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

    const client = <S extends DescService>(service: S, name: Name, token?: string) =>
      createClient(
        service,
        createConnectTransport({
          baseUrl: processes.get(name)!.url,
          httpVersion: '1.1',
          interceptors: token
            ? [
                (next) => (req) => {
                  req.header.set('authorization', `Bearer ${token}`);
                  return next(req);
                },
              ]
            : [],
        }),
      );
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'ok' as const,
        (err: unknown) => ConnectError.from(err).code,
      );

    /** Registers by the mailed link (SMTP) and logs in at the auth process. */
    async function signUp() {
      const email = `dist${crypto.randomBytes(3).toString('hex')}@example.com`;
      const password = 'a long and unusual passphrase 42';
      await client(AuthService, 'auth').register({
        email,
        password,
        username: `dist_${crypto.randomBytes(3).toString('hex')}`,
        consent: {
          termsAccepted: true,
          privacyPolicyAccepted: true,
          minimumAgeConfirmed: true,
          documentsVersion: '2026-01',
        },
      });
      // The link arrives by SMTP at a real server, sent by the auth process's mail relay.
      const verificationMail = () =>
        smtp.delivered
          .map((d) => readMessage(d.raw))
          .find((m) => m.header('to')?.includes(email) && m.text?.includes('/verify-email?token='));
      await waitFor(() => verificationMail() !== undefined, {
        timeoutMs: 20_000,
        what: 'verification mail',
      });
      const mail = verificationMail()!;
      const token = new URL(/https:\/\/\S+/.exec(mail.text!)![0]).searchParams.get('token')!;
      await client(AuthService, 'auth').verifyEmail({ token });
      const login = await client(AuthService, 'auth').login({ identifier: email, password });
      assert.equal(login.result.case, 'tokens');
      const { accessToken, refreshToken } = login.result.value!;
      return { email, password, accessToken, refreshToken };
    }

    test('realtime: a socket dropped on one gateway replica resumes on another with exactly the frames it missed', async () => {
      await startService('gateway', 'gateway2');
      const { accessToken } = await signUp();
      const users = client(UserService, 'user', accessToken);
      await waitFor(async () => (await codeOf(users.getSettings({}))) === 'ok', {
        timeoutMs: 20_000,
        what: 'the profile from the sign-up event',
      });
      const rename = (displayName: string) =>
        users.updateProfile({ profile: { displayName }, updateMask: { paths: ['display_name'] } });
      const accountFrames = (socket: TestSocket) =>
        socket.frames.filter((f) => f.topic === 'user' && f.payload.case === 'account');

      const first = await openSocket(processes.get('gateway')!.url, accessToken, sockets);
      first.send(subscribeFrame('user'));
      await first.next((f) => f.payload.case === 'subscribed');
      // Live across processes: user process → bus → gateway frame store → this socket. (The
      // sign-up's own frames may still be arriving: the rename is the profile's version 2.)
      await rename('before the drop');
      const seen = await first.next(
        (f) => f.payload.case === 'account' && f.payload.value.version >= 2n,
      );
      first.ws.terminate();

      for (let i = 0; i < 100; i += 1) await rename(`missed ${i}`);
      const second = await openSocket(processes.get('gateway2')!.url, accessToken, sockets);
      second.send(resumeFrame([{ topic: 'user', seq: seen.seq }]));
      await waitFor(() => accountFrames(second).length >= 100, {
        timeoutMs: 30_000,
        what: '100 frames on the other replica',
      });
      // Nothing more arrives: exactly the missed ones.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const got = accountFrames(second);
      assert.deepEqual(
        got.map((f) => f.seq),
        Array.from({ length: 100 }, (_, i) => seen.seq + 1n + BigInt(i)),
      );
      // Each rename exactly once. Two replicas share the frame store's consumer, so two events
      // taken at once by different replicas may be numbered in either order: the version, not
      // the seq, orders one profile's frames (ADR 0017).
      const versions = got
        .map((f) => (f.payload.case === 'account' ? f.payload.value.version : 0n))
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const seenVersion = seen.payload.case === 'account' ? seen.payload.value.version : 0n;
      assert.deepEqual(
        versions,
        Array.from({ length: 100 }, (_, i) => seenVersion + 1n + BigInt(i)),
      );
      assert.equal(second.frames.filter((f) => f.payload.case === 'gap').length, 0);
    });

    test('auth across processes: mailed link, login, logout-all and API keys take effect everywhere', async () => {
      const { password, accessToken, refreshToken } = await signUp();

      // Concurrent refreshes with one token on real Postgres: exactly one successor.
      const racing = await Promise.allSettled(
        Array.from({ length: 6 }, () => client(AuthService, 'auth').refresh({ refreshToken })),
      );
      assert.equal(racing.filter((r) => r.status === 'fulfilled').length, 1);

      // The user process verifies the token with the auth process's published keys (ok, or
      // NotFound while the sign-up event has not created the settings there yet).
      assert.ok(
        ['ok', Code.NotFound].includes(
          await codeOf(client(UserService, 'user', accessToken).getSettings({})),
        ),
      );

      // An API key with only 'sos:raise' reaches RaiseSos at the support process; revoked, it stops.
      const created = await client(AuthService, 'auth', accessToken).createApiKey({
        name: 'panic button',
        scopes: [ApiKeyScope.SOS_RAISE],
        proof: { case: 'currentPassword', value: password },
      });
      const sos = () => codeOf(client(SupportService, 'support', created.secret).raiseSos({}));
      // Past authentication and the scope check: the SOS opens (reaching nobody, saying so).
      assert.equal(await sos(), 'ok');
      assert.equal(
        await codeOf(client(UserService, 'user', created.secret).getSettings({})),
        Code.PermissionDenied,
        'no other scope is implied',
      );
      await client(AuthService, 'auth', accessToken).revokeApiKey({
        apiKeyId: created.apiKey!.apiKeyId,
      });
      assert.equal(await sos(), Code.Unauthenticated);

      // Logout-all at auth: the very next call at the user process is refused (shared Redis).
      await client(AuthService, 'auth', accessToken).logoutAll({});
      assert.equal(
        await codeOf(client(UserService, 'user', accessToken).getSettings({})),
        Code.Unauthenticated,
      );
    });
  },
);
