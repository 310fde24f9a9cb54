import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest';
import {
  createPglite,
  createPgliteDatabase,
  createPostgresDatabase,
  migrate,
  type Database,
} from '@kith/db';
import { createRootLogger, type Logger } from '@kith/logging';
import { createTestSchema, requireService, waitFor } from '@kith/testkit';
import { createFileMailer } from './file-mailer.js';
import { createMailRelay, enqueueMail, mailMigrations, type MailTables } from './mail-queue.js';
import { InvalidMailError, type MailMessage, type Mailer } from './mailer.js';
import { readMessage } from './read-mime.js';

const pgUrl = await requireService('postgres');

interface Harness {
  database: Database<MailTables>;
  teardown(): Promise<void>;
}

const adapters: [string, (() => Promise<Harness>) | undefined][] = [
  [
    'Postgres',
    pgUrl
      ? async () => {
          const schema = await createTestSchema(pgUrl, 'mail');
          const database = createPostgresDatabase<MailTables>({
            url: pgUrl,
            schema: schema.name,
            poolMax: 6,
          });
          return {
            database,
            async teardown() {
              await database.close();
              await schema.drop();
            },
          };
        }
      : undefined,
  ],
  [
    'PGlite',
    async () => {
      const pglite = await createPglite();
      return {
        database: createPgliteDatabase<MailTables>({ pglite, schema: 'auth' }),
        teardown: () => pglite.close(),
      };
    },
  ],
];

/** A clock the test moves by hand. */
function manualClock() {
  let now = Date.now() + 1000;
  return {
    clock: () => new Date(now),
    advance(ms: number) {
      now += ms;
    },
  };
}

/** A mailer that records what it was asked to send and fails while `failures` lasts. */
function recordingMailer(failures: (() => Error | undefined) | number = 0) {
  let left = typeof failures === 'number' ? failures : 0;
  const sent: MailMessage[] = [];
  const calls: MailMessage[] = [];
  const mailer: Mailer = {
    async send(message) {
      calls.push(message);
      await new Promise((r) => setTimeout(r, 2));
      const failure =
        typeof failures === 'function'
          ? failures()
          : left-- > 0
            ? new Error(`421 try later (${left})`)
            : undefined;
      if (failure) throw failure;
      sent.push(message);
      return { messageId: `<${message.id}@kith.test>` };
    },
    close: async () => undefined,
  };
  return { mailer, sent, calls };
}

function memoryLogger(): { logger: Logger; lines: () => string } {
  const chunks: string[] = [];
  return {
    logger: createRootLogger({ level: 'debug', destination: { write: (s) => chunks.push(s) } }),
    lines: () => chunks.join(''),
  };
}
const quietLogger = () => memoryLogger().logger;

const secretLink = 'https://kith.example/reset?token=c2VjcmV0LXRva2VuLWRvLW5vdC1sb2c';
const message = (to = 'ana@example.com'): MailMessage => ({
  to,
  subject: 'Reset your password',
  text: `Olá — ✓\n${secretLink}\n`,
  html: `<a href="${secretLink}">Reset</a>`,
  headers: { 'X-Kith-Template': 'reset-password' },
});

for (const [name, makeHarness] of adapters) {
  describe.skipIf(!makeHarness && 'DATABASE_URL unavailable')(`mail queue on ${name}`, () => {
    let h: Harness;
    let db: Harness['database']['db'];
    beforeAll(async () => {
      h = await (makeHarness as () => Promise<Harness>)();
      db = h.database.db;
      await migrate(h.database, mailMigrations);
    });
    afterAll(() => h?.teardown());
    beforeEach(async () => {
      await db.deleteFrom('mail_outbox').execute();
    });

    const enqueue = (m: MailMessage = message()) =>
      h.database.transaction((trx) => enqueueMail(trx, m));
    const row = (id: string) =>
      db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

    it('sends mail queued by a committed transaction, never one from a rolled-back one', async () => {
      const kept = await enqueue();
      await assert.rejects(
        h.database.transaction(async (trx) => {
          await enqueueMail(trx, message('rolled@back.example'));
          throw new Error('business change failed');
        }),
        /business change failed/,
      );
      const { mailer, sent } = recordingMailer();
      const { clock } = manualClock();
      const relay = createMailRelay({ database: h.database, mailer, logger: quietLogger(), clock });
      assert.equal(await relay.drainOnce(), 1);
      assert.equal(await relay.drainOnce(), 0);
      assert.deepEqual(
        sent.map((m) => [m.id, m.to, m.subject, m.text, m.html, m.headers]),
        [
          [
            kept,
            'ana@example.com',
            message().subject,
            message().text,
            message().html,
            message().headers,
          ],
        ],
      );
      const rows = await db.selectFrom('mail_outbox').select('id').execute();
      assert.deepEqual(
        rows.map((r) => r.id),
        [kept],
      );
    });

    it('refuses an unsendable message inside the caller transaction', async () => {
      await assert.rejects(enqueue(message('ana@example.com, eve@evil.test')), InvalidMailError);
      assert.deepEqual(await db.selectFrom('mail_outbox').select('id').execute(), []);
    });

    it('retries with exponential backoff: fails twice, then delivered once, body cleared', async () => {
      const id = await enqueue();
      const { mailer, sent, calls } = recordingMailer(2);
      const time = manualClock();
      const relay = createMailRelay({
        database: h.database,
        mailer,
        logger: quietLogger(),
        clock: time.clock,
        backoffMs: 30_000,
      });

      assert.equal(await relay.drainOnce(), 0);
      let r = await row(id);
      assert.equal(r.attempts, 1);
      assert.match(r.last_error ?? '', /421 try later/);
      assert.equal(r.next_attempt_at?.getTime(), time.clock().getTime() + 30_000);
      assert.equal(r.text, message().text, 'the body stays until it is sent');

      // Not due yet: nothing is tried.
      time.advance(29_000);
      assert.equal(await relay.drainOnce(), 0);
      assert.equal(calls.length, 1);

      time.advance(1_000);
      assert.equal(await relay.drainOnce(), 0);
      r = await row(id);
      assert.equal(r.attempts, 2);
      assert.equal(r.next_attempt_at?.getTime(), time.clock().getTime() + 60_000);

      time.advance(60_000);
      assert.equal(await relay.drainOnce(), 1);
      r = await row(id);
      assert.equal(r.attempts, 3);
      assert.equal(r.sent_at?.getTime(), time.clock().getTime());
      assert.equal(r.next_attempt_at, null);
      assert.equal(r.last_error, null);
      assert.equal(r.text, '');
      assert.equal(r.html, '');
      assert.deepEqual(r.headers, {});
      assert.equal(r.to, 'ana@example.com');

      time.advance(24 * 3_600_000);
      assert.equal(await relay.drainOnce(), 0);
      assert.equal(calls.length, 3);
      assert.equal(sent.length, 1);
      assert.equal(sent[0]?.text, message().text);
    });

    it('gives up after maxAttempts, keeping the row and its last error but not the body', async () => {
      const id = await enqueue();
      const { mailer, calls } = recordingMailer(() => new Error('550 5.1.1 <ana@example.com> no'));
      const time = manualClock();
      const relay = createMailRelay({
        database: h.database,
        mailer,
        logger: quietLogger(),
        clock: time.clock,
        maxAttempts: 3,
        backoffMs: 1000,
      });
      for (let i = 0; i < 6; i++) {
        assert.equal(await relay.drainOnce(), 0);
        time.advance(3_600_000);
      }
      assert.equal(calls.length, 3);
      const r = await row(id);
      assert.equal(r.attempts, 3);
      assert.equal(r.sent_at, null);
      assert.equal(r.next_attempt_at, null);
      assert.match(r.last_error ?? '', /550 5\.1\.1/);
      assert.equal(r.text, '');
      assert.equal(r.html, '');
    });

    /** A mailer whose sends wait until the test settles them, one at a time. */
    function heldMailer() {
      const held: { message: MailMessage; settle: (err?: Error) => void }[] = [];
      const mailer: Mailer = {
        send: (m) =>
          new Promise((resolve, reject) => {
            held.push({
              message: m,
              settle: (err) => (err ? reject(err) : resolve({ messageId: `<${m.id}@kith.test>` })),
            });
          }),
        close: async () => undefined,
      };
      return { mailer, held };
    }

    it('retries a row whose relay died between claim and send, once the claim runs out', async () => {
      const id = await enqueue();
      const time = manualClock();
      const relayWith = (mailer: Mailer) =>
        createMailRelay({
          database: h.database,
          mailer,
          logger: quietLogger(),
          clock: time.clock,
          leaseMs: 60_000,
        });
      // Relay A claims the row and then never gets to send: a crash, as the database sees it.
      const a = heldMailer();
      const passA = relayWith(a.mailer).drainOnce();
      await waitFor(() => a.held.length === 1, { what: 'relay A to claim' });

      const b = recordingMailer();
      const relayB = relayWith(b.mailer);
      assert.equal(await relayB.drainOnce(), 0, 'a claimed row is left alone');
      assert.equal(b.calls.length, 0);

      time.advance(60_001);
      assert.equal(await relayB.drainOnce(), 1);
      assert.deepEqual(
        b.sent.map((m) => m.id),
        [id],
      );
      const sentByB = await row(id);
      assert.equal(sentByB.attempts, 1);

      // A comes back late and fails: B's result stands.
      a.held[0]?.settle(new Error('connection reset'));
      assert.equal(await passA, 0);
      assert.deepEqual(await row(id), sentByB);
    });

    it('a late failure from an expired claim does not disturb the relay now sending', async () => {
      const id = await enqueue();
      const time = manualClock();
      const relayWith = (mailer: Mailer) =>
        createMailRelay({
          database: h.database,
          mailer,
          logger: quietLogger(),
          clock: time.clock,
          leaseMs: 60_000,
        });
      const a = heldMailer();
      const passA = relayWith(a.mailer).drainOnce();
      await waitFor(() => a.held.length === 1, { what: 'relay A to claim' });
      time.advance(60_001);
      const b = heldMailer();
      const passB = relayWith(b.mailer).drainOnce();
      await waitFor(() => b.held.length === 1, { what: 'relay B to claim' });
      const claimedByB = await row(id);

      a.held[0]?.settle(new Error('connection reset'));
      assert.equal(await passA, 0);
      assert.deepEqual(await row(id), claimedByB, 'B keeps its claim; nothing is counted');
      const c = recordingMailer();
      assert.equal(await relayWith(c.mailer).drainOnce(), 0, 'so no third relay sends it');

      b.held[0]?.settle();
      assert.equal(await passB, 1);
      const done = await row(id);
      assert.equal(done.attempts, 1);
      assert.notEqual(done.sent_at, null);
      assert.equal(c.calls.length, 0);
    });

    it('two relays running at once deliver every message exactly once', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 24; i++) ids.push(await enqueue(message(`user${i}@example.com`)));
      const { mailer, sent } = recordingMailer();
      const { clock } = manualClock();
      const perRelay = [0, 0];
      await Promise.all(
        [0, 1].map(async (i) => {
          const relay = createMailRelay({
            database: h.database,
            mailer,
            logger: quietLogger(),
            clock,
            batchSize: 4,
          });
          for (let n; (n = await relay.drainOnce()) > 0;) perRelay[i]! += n;
        }),
      );
      assert.deepEqual(sent.map((m) => m.id).sort(), [...ids].sort());
      assert.equal(new Set(sent.map((m) => m.id)).size, 24);
      assert.ok(
        perRelay.every((n) => n > 0),
        `both relays worked: ${perRelay}`,
      );
      const unsent = await db
        .selectFrom('mail_outbox')
        .select('id')
        .where('sent_at', 'is', null)
        .execute();
      assert.deepEqual(unsent, []);
    });

    it('runs as a daemon: wake() after a commit sends at once, stop() ends it', async () => {
      const { mailer, sent } = recordingMailer();
      const relay = createMailRelay({
        database: h.database,
        mailer,
        logger: quietLogger(),
        pollMs: 60_000,
      });
      relay.start();
      await new Promise((r) => setTimeout(r, 100));
      const id = await enqueue();
      relay.wake();
      await waitFor(() => sent.length === 1, { what: 'woken relay to send' });
      await relay.stop();
      assert.equal(sent[0]?.id, id);
      assert.notEqual((await row(id)).sent_at, null);
    });

    it('delivers through the file mailer and logs only the mail id and the domain', async () => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kith-mail-queue-'));
      try {
        const id = await enqueue(message('ana.souza@example.com'));
        const { logger, lines } = memoryLogger();
        const time = manualClock();
        const failing = recordingMailer(
          () => new Error('450 4.2.1 <ana.souza@example.com>: mailbox busy'),
        );
        const first = createMailRelay({
          database: h.database,
          mailer: failing.mailer,
          logger,
          clock: time.clock,
        });
        assert.equal(await first.drainOnce(), 0);
        time.advance(3_600_000);
        const fileMailer = createFileMailer({ dir, from: 'Kith <no-reply@kith.example>' });
        const relay = createMailRelay({
          database: h.database,
          mailer: fileMailer,
          logger,
          clock: time.clock,
        });
        assert.equal(await relay.drainOnce(), 1);
        await fileMailer.close();

        const [file, ...more] = await fs.readdir(dir);
        assert.deepEqual(more, []);
        const read = readMessage(await fs.readFile(path.join(dir, file!)));
        assert.equal(read.header('to'), 'ana.souza@example.com');
        assert.equal(read.header('message-id'), `<${id}@kith.example>`);
        assert.ok(read.text?.includes(secretLink));

        const log = lines();
        assert.ok(log.includes(id), 'the mail id is logged');
        assert.ok(log.includes('"domain":"example.com"'), 'the domain is logged');
        assert.ok(log.includes('mailbox busy'), 'the failure is logged');
        assert.ok(!log.includes('ana.souza'), 'the address is not logged');
        assert.ok(!log.includes('c2VjcmV0'), 'the link is not logged');
        assert.ok(!log.includes('Olá'), 'the body is not logged');
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    });
  });
}
