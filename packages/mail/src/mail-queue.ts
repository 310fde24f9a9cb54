import { createPollingLoop, withTables } from '@kith/db';
import { uuidv7 } from 'uuidv7';
import type { AnyKysely, Database, MigrationSet } from '@kith/db';
import type { Logger } from '@kith/logging';
import { sql, type Generated, type Kysely, type UpdateObject } from 'kysely';
import {
  addressDomain,
  assertSendable,
  InvalidMailError,
  type MailMessage,
  type Mailer,
} from './mailer.js';

/** The queue's table, in the schema of the service that sends the mail. */
export interface MailTables {
  mail_outbox: {
    id: string;
    to: string;
    subject: string;
    /** Emptied once the message is sent or abandoned: bodies carry live links and codes. */
    text: string;
    html: string | null;
    headers: Record<string, string>;
    created_at: Generated<Date>;
    /** Finished send attempts, failed or not. */
    attempts: Generated<number>;
    /** When the row is next due; while claimed, the end of the lease; null when done. */
    next_attempt_at: Generated<Date | null>;
    sent_at: Date | null;
    last_error: string | null;
  };
}

export const mailMigrations: MigrationSet = {
  '20261124T0000_mail_outbox': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('mail_outbox')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('to', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('html', 'text')
        .addColumn('headers', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
        .addColumn('created_at', 'timestamptz(3)', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'timestamptz(3)', (c) => c.defaultTo(sql`now()`))
        .addColumn('sent_at', 'timestamptz(3)')
        .addColumn('last_error', 'text')
        .execute();
      // The relay only scans rows still to send; sent and abandoned ones drop out of the index.
      await db.schema
        .createIndex('mail_outbox_due')
        .on('mail_outbox')
        .columns(['next_attempt_at', 'id'])
        .where(sql.ref('next_attempt_at'), 'is not', null)
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('mail_outbox').execute();
    },
  },
};

/**
 * Queues a message in the caller's transaction: it is sent if and only if the business change
 * commits, and a crash after the commit cannot lose it. An unsendable message (a list of
 * recipients, a header break) fails here, inside the request, instead of in the relay.
 * Returns the row id, which also becomes the Message-ID's local part.
 */
export async function enqueueMail(
  trx: AnyKysely,
  message: Omit<MailMessage, 'id'>,
  /** The relay's clock: a row is due from `now` on that clock (default: the database's). */
  options: { now?: Date } = {},
): Promise<string> {
  assertSendable(message);
  // Time-ordered (and monotonic within a millisecond): the relay sends in queue order.
  const id = uuidv7();
  await withTables<MailTables>(trx)
    .insertInto('mail_outbox')
    .values({
      id,
      to: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html ?? null,
      headers: message.headers ?? {},
      ...(options.now ? { created_at: options.now, next_attempt_at: options.now } : {}),
    })
    .execute();
  return id;
}

export interface MailRelayOptions<DB> {
  database: Database<DB>;
  mailer: Mailer;
  logger: Logger;
  /** Decides what is due, the backoff and the timestamps written (default: system clock). */
  clock?: () => Date;
  /** Rows claimed per pass (default 10); they are sent concurrently. */
  batchSize?: number;
  /** Sleep between passes when the queue is empty (default 1 s); `wake()` cuts it short. */
  pollMs?: number;
  /** Sends tried before the row is abandoned with its last error (default 8). */
  maxAttempts?: number;
  /** Delay after the first failure, doubled after each further one (default 30 s). */
  backoffMs?: number;
  /** Cap on that delay (default 1 h); with the defaults the 8 tries span about an hour. */
  maxBackoffMs?: number;
  /**
   * How long a claim keeps other relays off a row (default 5 min). A relay that dies between
   * claim and send leaves the row to be retried when it runs out; it must outlast one send
   * (the SMTP mailer's sendTimeoutMs).
   */
  leaseMs?: number;
}

export interface MailRelay {
  start(): void;
  /** Finishes the pass in flight, then stops. */
  stop(): Promise<void>;
  /** Skips the rest of the poll sleep, e.g. right after a commit that queued mail. */
  wake(): void;
  /** Claims and sends one batch of due rows; returns how many were sent and recorded. */
  drainOnce(): Promise<number>;
}

interface ClaimedRow {
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string | null;
  headers: Record<string, string>;
  attempts: number;
}

const MAX_ERROR_LENGTH = 1000;
const EMAIL_IN_TEXT = /[^\s<>"'(),;:@[\]]+@([^\s<>"'(),;:@[\]]+)/g;

/** An error message with any address reduced to its domain, fit for a log line. */
function loggableError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(EMAIL_IN_TEXT, '…@$1').slice(0, MAX_ERROR_LENGTH);
}

/**
 * The daemon that sends queued mail. A pass claims due rows (FOR UPDATE SKIP LOCKED, so
 * concurrent relays take disjoint rows) by moving their `next_attempt_at` to the end of a
 * lease, commits, and only then talks to the mail server: no transaction or row lock is held
 * across SMTP (on PGlite that would stall every service sharing the one session). A failure
 * is recorded only while the lease is still the one this pass took, so a relay that resumes
 * after its lease ran out cannot disturb a newer attempt. Delivery is at least once: a crash
 * between send and record sends the message again, with the same Message-ID.
 */
export function createMailRelay<DB>(options: MailRelayOptions<DB>): MailRelay {
  const { database, mailer } = options;
  const db = withTables<MailTables>(database.db);
  const logger = options.logger.child({ component: 'mail-relay', schema: database.schema });
  const clock = options.clock ?? (() => new Date());
  const batchSize = options.batchSize ?? 10;
  const pollMs = options.pollMs ?? 1000;
  const maxAttempts = options.maxAttempts ?? 8;
  const backoffMs = options.backoffMs ?? 30_000;
  const maxBackoffMs = options.maxBackoffMs ?? 3_600_000;
  const leaseMs = options.leaseMs ?? 300_000;
  const later = (ms: number) => new Date(clock().getTime() + ms);

  async function claim(): Promise<{ rows: ClaimedRow[]; lease: Date }> {
    const now = clock();
    const lease = new Date(now.getTime() + leaseMs);
    const rows = await database.transaction(async (trx) => {
      const q = withTables<MailTables>(trx);
      const due = await q
        .selectFrom('mail_outbox')
        .select(['id', 'to', 'subject', 'text', 'html', 'headers', 'attempts'])
        .where('sent_at', 'is', null)
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .orderBy('id')
        .limit(batchSize)
        .forUpdate()
        .skipLocked()
        .execute();
      if (due.length > 0) {
        await q
          .updateTable('mail_outbox')
          .set({ next_attempt_at: lease })
          .where(
            'id',
            'in',
            due.map((r) => r.id),
          )
          .execute();
      }
      return due;
    });
    return { rows, lease };
  }

  /**
   * Writes a result unless the row was sent meanwhile. A failure is written only while this
   * pass's lease is still on the row: after it ran out another relay may be sending, and a
   * late failure must not release that claim (inviting a third send) or count twice. A
   * success is written either way, because the message did go out.
   */
  async function record(
    row: ClaimedRow,
    lease: Date | null,
    values: UpdateObject<MailTables, 'mail_outbox'>,
  ): Promise<boolean> {
    let update = db
      .updateTable('mail_outbox')
      .set(values)
      .where('id', '=', row.id)
      .where('sent_at', 'is', null);
    if (lease) update = update.where('next_attempt_at', '=', lease);
    const result = await update.executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  const forgetBody = { text: '', html: '', headers: {} } as const;

  async function deliver(row: ClaimedRow, lease: Date): Promise<boolean> {
    const log = { mailId: row.id, domain: addressDomain(row.to), attempt: row.attempts + 1 };
    let failure: unknown;
    try {
      await mailer.send({
        id: row.id,
        to: row.to,
        subject: row.subject,
        text: row.text,
        ...(row.html === null ? {} : { html: row.html }),
        headers: row.headers ?? {},
      });
    } catch (err) {
      failure = err;
    }
    if (failure === undefined) {
      const recorded = await record(row, null, {
        sent_at: clock(),
        attempts: sql<number>`attempts + 1`,
        next_attempt_at: null,
        last_error: null,
        ...forgetBody,
      });
      if (recorded) logger.info(log, 'mail sent');
      else logger.warn(log, 'mail sent by another relay too; it may arrive twice');
      return recorded;
    }
    const attempts = row.attempts + 1;
    // A message the mailer refuses outright will never become sendable.
    const giveUp = attempts >= maxAttempts || failure instanceof InvalidMailError;
    const delay = Math.min(backoffMs * 2 ** (attempts - 1), maxBackoffMs);
    const error = failure instanceof Error ? failure.message : String(failure);
    const recorded = await record(row, lease, {
      attempts: sql<number>`attempts + 1`,
      last_error: error.slice(0, MAX_ERROR_LENGTH),
      next_attempt_at: giveUp ? null : later(delay),
      ...(giveUp ? forgetBody : {}),
    });
    if (!recorded)
      logger.warn({ ...log, err: loggableError(failure) }, 'late mail failure ignored');
    else if (giveUp) logger.error({ ...log, err: loggableError(failure) }, 'mail abandoned');
    else logger.warn({ ...log, err: loggableError(failure), retryInMs: delay }, 'mail send failed');
    return false;
  }

  async function pass(): Promise<{ claimed: number; sent: number }> {
    const { rows, lease } = await claim();
    const results = await Promise.allSettled(rows.map((row) => deliver(row, lease)));
    let sent = 0;
    for (const result of results) {
      if (result.status === 'fulfilled') {
        if (result.value) sent++;
      } else {
        // Recording failed (database down): the lease runs out and the row is tried again.
        logger.error({ err: loggableError(result.reason) }, 'mail result not recorded');
      }
    }
    return { claimed: rows.length, sent };
  }

  const loop = createPollingLoop({
    batchSize,
    pollMs,
    onError: (err) => logger.error({ err: loggableError(err) }, 'mail relay pass failed'),
    pass: async () => (await pass()).claimed,
  });

  return {
    start: () => loop.start(),
    stop: () => loop.stop(),
    wake: () => loop.wake(),
    async drainOnce() {
      return (await pass()).sent;
    },
  };
}
