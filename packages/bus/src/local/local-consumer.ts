import type { LocalBusTables } from './local-schema.js';
import { withTables } from '@kith/db';
import type { Database } from '@kith/db';
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { errorMessage, handleDelivery, type ResolvedConsumeOptions } from '../delivery.js';
import type { ConsumerMetrics } from '../metrics.js';
import { subjectMatches } from '../subjects.js';
import type { DeadLetter, Subscription } from '../types.js';
import type { LocalStore } from './local-store.js';

type Executor = LocalStore['executor'];

export interface LocalConsumerDeps<DB> {
  database: Database<DB>;
  store: LocalStore;
  /** Emits `published` (with the subject) after every committed publish. */
  events: EventEmitter;
  logger: Logger;
  metrics: ConsumerMetrics;
  /** Longest sleep between polls: picks up retries, lease expiries and other processes. */
  pollIntervalMs: number;
  /** Inside the given transaction: store the dead letter on the DLQ subject. */
  publishDeadLetter(trx: Executor, dl: DeadLetter): Promise<void>;
}

const batchSize = 16;

/** One durable consumer: claims due deliveries in seq order and handles them one by one. */
export async function startLocalConsumer<DB>(
  deps: LocalConsumerDeps<DB>,
  options: ResolvedConsumeOptions,
): Promise<Subscription> {
  const { store } = deps;
  const { durable } = options;
  const logger = deps.logger.child({ durable });
  const tx = <T>(fn: (trx: Executor) => Promise<T>) =>
    deps.database.transaction((trx) => fn(withTables<LocalBusTables>(trx)));

  await tx((trx) => store.registerConsumer(trx, durable, options.subjects));

  let stopping = false;
  let wake: (() => void) | undefined;
  let woken = false;
  // Only a message this consumer takes wakes it: the others' claims would find nothing.
  const onPublished = (subject: string) => {
    if (!subjectMatches(options.subjects, subject)) return;
    woken = true;
    wake?.();
  };
  deps.events.on('published', onPublished);

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken || stopping) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  // A batch's acks commit together, after its last handler (or sooner, well inside the lease):
  // on one PGlite session every transaction queues behind every other consumer's, and one per
  // message made a burst of N messages cost N + 1 of them. A crash before the acks commit
  // redelivers what was handled, as a lost ack does on NATS.
  const runOnce = async (): Promise<number> => {
    woken = false;
    const claimedAt = Date.now();
    const claimed = await tx((trx) => store.claim(trx, durable, batchSize, options.ackWaitMs));
    const handled: string[] = [];
    const flush = async () => {
      if (handled.length === 0) return;
      const seqs = handled.splice(0);
      await tx((trx) => store.ack(trx, durable, seqs));
    };
    try {
      for (const { seq, message } of claimed) {
        if (stopping) {
          await tx((trx) => store.release(trx, durable, seq));
          continue;
        }
        await handleDelivery(
          message,
          options,
          {
            ack: async () => {
              handled.push(seq);
              if (Date.now() - claimedAt > options.ackWaitMs / 2) await flush();
            },
            retry: (delayMs, error) => tx((trx) => store.retry(trx, durable, seq, delayMs, error)),
            // The DLQ copy and the removal of the delivery commit together.
            deadLetter: (dl) =>
              tx(async (trx) => {
                await deps.publishDeadLetter(trx, dl);
                await store.ack(trx, durable, [seq]);
              }),
          },
          logger,
          deps.metrics,
        );
      }
    } finally {
      await flush();
    }
    return claimed.length;
  };

  const loop = (async () => {
    while (!stopping) {
      try {
        if ((await runOnce()) > 0) continue;
        const due = await store.nextDueMs(store.executor, durable);
        await sleep(Math.min(due ?? deps.pollIntervalMs, deps.pollIntervalMs));
      } catch (err) {
        logger.error({ err: errorMessage(err) }, 'local consumer iteration failed');
        await sleep(deps.pollIntervalMs);
      }
    }
  })();

  return {
    async stop() {
      stopping = true;
      deps.events.off('published', onPublished);
      wake?.();
      await loop;
    },
  };
}
