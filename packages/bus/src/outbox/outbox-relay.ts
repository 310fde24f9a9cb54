import { createPollingLoop, withTables } from '@kith/db';
import type { Database } from '@kith/db';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { errorMessage } from '../delivery.js';
import { outboxMetrics } from '../metrics.js';
import type { Bus } from '../types.js';
import type { OutboxTables } from './outbox-schema.js';
import { OUTBOX_WRITTEN } from './write-outbox.js';
import type { OutboxRow } from './write-outbox.js';

export interface OutboxRelayOptions<DB> {
  database: Database<DB>;
  bus: Bus;
  logger: Logger;
  batchSize?: number;
  /**
   * The fallback poll. Default 1 s: a commit that wrote the outbox through
   * `database.transaction` wakes the relay at once; the poll finds the rest.
   */
  pollIntervalMs?: number;
  /** Published rows older than this are deleted. Default 7 days. */
  retentionDays?: number;
  /** How often the purge runs. Default 1 hour. */
  purgeIntervalMs?: number;
  metrics?: Registry;
}

export interface OutboxRelay {
  start(): void;
  /** Finishes the batch in flight, then stops. */
  stop(): Promise<void>;
  /** Skips the rest of the poll interval, e.g. after rows were written outside a transaction. */
  wake(): void;
  /** Publishes one batch; returns how many rows it published. */
  relayOnce(): Promise<number>;
  /** Deletes published rows older than the retention; returns how many. */
  purge(): Promise<number>;
}

/**
 * The daemon that moves committed outbox rows to the bus. The message id is the outbox id, so
 * a row published twice (a crash between publish and marking it, or the two paths below both
 * taking it) is dropped by broker dedup and, past the dedup window, by consumers' inboxes.
 *
 * Two paths (ADR 0031): a started relay publishes the rows a `database.transaction` of its
 * schema wrote as soon as it commits, from the rows themselves, then marks them published in
 * one statement (with any others marked meanwhile); the polling pass, in id (= time) order,
 * takes whatever that path did not finish: rows written outside a transaction or by another
 * process, and rows whose publish or mark failed.
 */
export function createOutboxRelay<DB>(options: OutboxRelayOptions<DB>): OutboxRelay {
  const { database, bus } = options;
  const db = withTables<OutboxTables>(database.db);
  const logger = options.logger.child({ component: 'outbox-relay', schema: database.schema });
  const batchSize = options.batchSize ?? 100;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const retentionMs = (options.retentionDays ?? 7) * 86_400_000;
  const purgeIntervalMs = options.purgeIntervalMs ?? 3_600_000;
  const metrics = outboxMetrics(options.metrics);
  const labels = { schema: database.schema };

  // The whole batch in one go, in id order: waiting for each broker ack before sending the
  // next held the relay to one message per round trip (ADR 0015).
  const publishRows = (rows: OutboxRow[]) =>
    bus.publishMany(
      rows.map((row) => ({
        id: row.id,
        subject: row.subject,
        data: new Uint8Array(row.data),
        headers: row.headers ?? {},
      })),
    );

  const selectBatch = (q: Kysely<OutboxTables>) =>
    q
      .selectFrom('outbox')
      .select(['id', 'subject', 'data', 'headers'])
      .where('published_at', 'is', null)
      .orderBy('id')
      .limit(batchSize);

  /** Both paths' mark: a row the other path marked meanwhile keeps its time. */
  const markPublished = async (q: Kysely<OutboxTables>, ids: string[]) => {
    if (ids.length === 0) return;
    await q
      .updateTable('outbox')
      .set({ published_at: new Date() })
      .where('id', 'in', ids)
      .where('published_at', 'is', null)
      .execute();
  };

  async function relayOnce(): Promise<number> {
    let rows: OutboxRow[];
    if (database.dialect === 'pglite') {
      // One session: a transaction held across publish would lock out the local bus's own
      // queries. There is no second relay to race with, so no row lock is needed.
      rows = await selectBatch(db).execute();
      await publishRows(rows);
      await markPublished(
        db,
        rows.map((r) => r.id),
      );
    } else {
      // SKIP LOCKED: a second relay takes the next unlocked rows instead of republishing these.
      rows = await database.transaction(async (trx) => {
        const q = withTables<OutboxTables>(trx);
        const batch = await selectBatch(q).forUpdate().skipLocked().execute();
        await publishRows(batch);
        await markPublished(
          q,
          batch.map((r) => r.id),
        );
        return batch;
      });
    }
    metrics.published.inc(labels, rows.length);
    await updateLag(rows.length);
    return rows.length;
  }

  /**
   * The age of the oldest row left unpublished. A batch short of `batchSize` took every row
   * there was (bar rows another relay holds, or committed since): nothing is waiting, and no
   * statement is spent to learn it, on every pass of every service.
   */
  async function updateLag(taken: number): Promise<void> {
    if (taken < batchSize) {
      metrics.lag.set(labels, 0);
      return;
    }
    const oldest = await db
      .selectFrom('outbox')
      .select((eb) => eb.fn.min('created_at').as('oldest'))
      .where('published_at', 'is', null)
      .executeTakeFirst();
    const at = oldest?.oldest ? new Date(oldest.oldest as Date).getTime() : undefined;
    metrics.lag.set(labels, at === undefined ? 0 : Math.max(0, (Date.now() - at) / 1000));
  }

  async function purge(): Promise<number> {
    const result = await db
      .deleteFrom('outbox')
      .where('published_at', 'is not', null)
      .where('published_at', '<', new Date(Date.now() - retentionMs))
      .executeTakeFirst();
    const count = Number(result.numDeletedRows);
    metrics.purged.inc(labels, count);
    return count;
  }

  // The commit path. Marks wait in `toMark` while one statement is in flight, then go together
  // (up to a thousand ids to a statement).
  const toMark: string[] = [];
  let marking: Promise<void> | undefined;
  const inFlight = new Set<Promise<void>>();
  const markLater = (ids: readonly string[]) => {
    toMark.push(...ids);
    marking ??= (async () => {
      while (toMark.length > 0) {
        const ids = toMark.splice(0, 1_000);
        try {
          await markPublished(db, ids);
        } catch (err) {
          // Published but not marked: the next pass publishes them again, and dedup drops that.
          logger.warn({ err: errorMessage(err), rows: ids.length }, 'outbox mark failed');
          loop.wake();
        }
      }
      marking = undefined;
    })();
  };
  const publishCommitted = (rows: readonly OutboxRow[]) => {
    const done = publishRows([...rows]).then(
      () => {
        metrics.published.inc(labels, rows.length);
        markLater(rows.map((row) => row.id));
      },
      (err: unknown) => {
        // Left unmarked: the polling pass takes them, now rather than at its next poll.
        logger.warn({ err: errorMessage(err), rows: rows.length }, 'outbox publish failed');
        loop.wake();
      },
    );
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  };

  let lastPurge = 0;
  const loop = createPollingLoop({
    batchSize,
    pollMs: pollIntervalMs,
    onError: (err) => logger.error({ err: errorMessage(err) }, 'outbox relay batch failed'),
    async pass() {
      const published = await relayOnce();
      if (Date.now() - lastPurge >= purgeIntervalMs) {
        lastPurge = Date.now();
        try {
          const purged = await purge();
          if (purged > 0) logger.info({ purged }, 'purged published outbox rows');
        } catch (err) {
          logger.error({ err: errorMessage(err) }, 'outbox purge failed');
        }
      }
      return published;
    },
  });

  let unsubscribe: (() => void) | undefined;
  return {
    start() {
      unsubscribe ??= database.onCommitted<OutboxRow>(OUTBOX_WRITTEN, publishCommitted);
      loop.start();
    },
    async stop() {
      unsubscribe?.();
      unsubscribe = undefined;
      await Promise.all(inFlight);
      await marking;
      await loop.stop();
    },
    wake: () => loop.wake(),
    relayOnce,
    purge,
  };
}
