import { withTables } from '@kith/db';
import type { Database, Trx } from '@kith/db';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { uuidv7 } from 'uuidv7';
import { errorMessage } from '../delivery.js';
import { inboxMetrics } from '../metrics.js';
import type { OutboxTables } from '../outbox/outbox-schema.js';
import { contextFromHeaders } from '../trace.js';
import type { Bus, ConsumeOptions, DeadLetter, DeliveredMessage, Subscription } from '../types.js';

export interface InboxConsumerOptions<DB> {
  /** The consuming service's database (its schema has the `outboxMigrations` tables). */
  database: Database<DB>;
  bus: Bus;
  /** Durable name; also the `consumer` column of inbox and dead_letters rows. */
  durable: string;
  subjects: string;
  /** Subjects under `subjects` acknowledged at once: no transaction, no inbox row, no handler. */
  ignoredSubjects?: readonly string[];
  /** The effect, run in the same transaction as the inbox insert. */
  handler: (trx: Trx<DB>, msg: DeliveredMessage) => Promise<void>;
  maxDeliver?: number;
  backoffMs?: number[];
  ackWaitMs?: number;
  /** Deliveries handled at once, each in its own transaction (`ConsumeOptions`). */
  concurrency?: number;
  /** What a delivery must not overtake when `concurrency` > 1 (`ConsumeOptions`). */
  orderKeys?: ConsumeOptions['orderKeys'];
  logger: Logger;
  metrics?: Registry;
}

const tracer = trace.getTracer('@kith/bus');

/**
 * A durable consumer whose effects apply exactly once: the message id goes into the inbox in
 * the same transaction as the effect, so a redelivery (at-least-once bus) finds it there and
 * is acknowledged without running the handler again.
 */
export async function createInboxConsumer<DB>(
  options: InboxConsumerOptions<DB>,
): Promise<Subscription> {
  const { database, durable } = options;
  const logger = options.logger.child({ component: 'inbox-consumer', durable });
  const metrics = inboxMetrics(options.metrics);
  const labels = { consumer: durable };

  const ignored = new Set(options.ignoredSubjects ?? []);

  const process = async (msg: DeliveredMessage): Promise<void> => {
    if (ignored.has(msg.subject)) {
      metrics.ignored.inc(labels);
      return;
    }
    const parent = contextFromHeaders(msg.headers);
    const span = tracer.startSpan(
      `${msg.subject} process`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'kith-bus',
          'messaging.destination.name': msg.subject,
          'messaging.message.id': msg.id,
          'messaging.consumer.group.name': durable,
        },
      },
      parent,
    );
    const endTimer = metrics.duration.startTimer(labels);
    try {
      const applied = await context.with(trace.setSpan(parent, span), () =>
        database.transaction(async (trx) => {
          const inbox = withTables<OutboxTables>(trx);
          const inserted = await inbox
            .insertInto('inbox')
            .values({ consumer: durable, message_id: msg.id })
            .onConflict((oc) => oc.columns(['consumer', 'message_id']).doNothing())
            .returning('message_id')
            .executeTakeFirst();
          if (!inserted) return false;
          await options.handler(trx, msg);
          return true;
        }),
      );
      (applied ? metrics.processed : metrics.duplicates).inc(labels);
      if (!applied) logger.debug({ messageId: msg.id }, 'duplicate message skipped');
    } catch (err) {
      metrics.failed.inc(labels);
      span.recordException(err instanceof Error ? err : new Error(String(err)));
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
      throw err;
    } finally {
      endTimer();
      span.end();
    }
  };

  const recordDeadLetter = async (dl: DeadLetter): Promise<void> => {
    const db = withTables<OutboxTables>(database.db);
    // The open-row unique index makes a second dead-lettering of the same message a no-op.
    await db
      .insertInto('dead_letters')
      .values({
        id: uuidv7(),
        consumer: durable,
        message_id: dl.message.id,
        subject: dl.message.subject,
        data: dl.message.data,
        headers: dl.message.headers,
        error: dl.error,
        delivery_count: dl.deliveryCount,
      })
      .onConflict((oc) =>
        oc.columns(['consumer', 'message_id']).where('replayed_at', 'is', null).doNothing(),
      )
      .execute();
    metrics.deadLettered.inc(labels);
  };

  return options.bus.consume({
    durable,
    subjects: options.subjects,
    maxDeliver: options.maxDeliver,
    backoffMs: options.backoffMs,
    ackWaitMs: options.ackWaitMs,
    concurrency: options.concurrency,
    // An ignored message is acknowledged at once and changes nothing: it waits for nobody.
    orderKeys:
      options.orderKeys && ((msg) => (ignored.has(msg.subject) ? [] : options.orderKeys!(msg))),
    handler: process,
    onDeadLetter: recordDeadLetter,
  });
}
