import type { LocalBusTables } from './local-schema.js';
import { withTables } from '@kith/db';
import type { Database } from '@kith/db';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { uuidv7 } from 'uuidv7';
import { buildDeadLetterHeaders, resolveConsumeOptions } from '../delivery.js';
import { consumerMetrics } from '../metrics.js';
import { assertDurableName, assertMessageId, assertSubject } from '../subjects.js';
import type { Bus, BusMessage, Subscription } from '../types.js';
import { startLocalConsumer } from './local-consumer.js';
import { createLocalStore } from './local-store.js';
import { createMemoryRpc } from './memory-rpc.js';

export interface LocalBusOptions<DB> {
  /**
   * A database bound to the bus's own schema, migrated with `localBusMigrations`. The bus does
   * not own it: close it after `drain()`.
   */
  database: Database<DB>;
  logger: Logger;
  dlqSubjectPrefix?: string;
  /** Slow poll for retries, lease expiries and publishes by other processes. Default 1 s. */
  pollIntervalMs?: number;
  defaultRequestTimeoutMs?: number;
  metrics?: Registry;
}

/**
 * The embedded-mode bus: the stream and consumer positions live in Postgres/PGlite, so a
 * restart loses nothing; publishes wake consumers in-process at once.
 */
export function createLocalBus<DB>(options: LocalBusOptions<DB>): Bus {
  const logger = options.logger.child({ component: 'bus', adapter: 'local' });
  const dlqPrefix = options.dlqSubjectPrefix ?? 'kith.dlq';
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const metrics = consumerMetrics(options.metrics);
  const store = createLocalStore(options.database);
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const rpc = createMemoryRpc(logger, options.defaultRequestTimeoutMs ?? 5_000);
  const consumers = new Set<Subscription>();
  const deadLetterSubject = (durable: string) => `${dlqPrefix}.${durable}`;
  let draining = false;

  const publishAll = async (msgs: readonly BusMessage[], dedupKey?: string) => {
    if (draining) throw new Error('bus is draining');
    for (const msg of msgs) {
      assertMessageId(msg.id);
      assertSubject(msg.subject, false);
    }
    if (msgs.length === 0) return;
    await options.database.transaction((trx) =>
      store.insertMessages(
        withTables<LocalBusTables>(trx),
        msgs.map((msg) => ({ msg, dedupKey: dedupKey ?? msg.id })),
      ),
    );
    for (const msg of msgs) {
      events.emit('published', msg.subject);
      // Live subscribers see durable publishes too, as NATS core subscribers do.
      rpc.publishLive(msg.subject, msg.data);
    }
  };

  return {
    async publish(msg, publishOptions) {
      await publishAll([msg], publishOptions?.dedupKey);
    },

    // One transaction: the messages take consecutive places in the stream, in order.
    publishMany: (msgs) => publishAll(msgs),

    async consume(consumeOptions) {
      if (draining) throw new Error('bus is draining');
      const resolved = resolveConsumeOptions(consumeOptions);
      assertDurableName(resolved.durable);
      assertSubject(resolved.subjects, true);
      const sub = await startLocalConsumer(
        {
          database: options.database,
          store,
          events,
          logger,
          metrics,
          pollIntervalMs,
          async publishDeadLetter(trx, dl) {
            const id = uuidv7();
            const msg = {
              id,
              subject: deadLetterSubject(dl.durable),
              data: dl.message.data,
              headers: buildDeadLetterHeaders(dl),
            };
            await store.insertMessage(trx, msg, id);
            // Committed with the caller's transaction; waking early is harmless.
            setImmediate(() => events.emit('published', msg.subject));
          },
        },
        resolved,
      );
      const tracked: Subscription = {
        async stop() {
          consumers.delete(tracked);
          await sub.stop();
        },
      };
      consumers.add(tracked);
      return tracked;
    },

    request: rpc.request,
    serve: rpc.serve,
    publishLive: rpc.publishLive,
    subscribeLive: rpc.subscribeLive,
    deadLetterSubject,

    async ping() {
      await options.database.ping();
    },

    async drain() {
      draining = true;
      await Promise.all([...consumers].map((c) => c.stop()));
      await rpc.close();
    },
  };
}
