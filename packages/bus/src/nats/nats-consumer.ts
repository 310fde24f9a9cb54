import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import {
  errorMessage,
  handleDelivery,
  keyOrder,
  type ResolvedConsumeOptions,
} from '../delivery.js';
import type { ConsumerMetrics } from '../metrics.js';
import type { DeadLetter, DeliveredMessage, Subscription } from '../types.js';
import { fromNatsHeaders, messageIdHeader } from './headers.js';
import { ensureConsumer, isStreamNotFound } from './nats-streams.js';

export interface NatsConsumerDeps {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: string;
  logger: Logger;
  metrics: ConsumerMetrics;
  publishDeadLetter(dl: DeadLetter): Promise<void>;
  /** Creates the bus's streams again (an operator or a test deleted one since start-up). */
  ensureStreams(): Promise<void>;
}

function toDelivered(m: JsMsg): DeliveredMessage {
  const id = m.headers?.get(messageIdHeader) || m.headers?.get('Nats-Msg-Id') || '';
  return {
    id,
    subject: m.subject,
    data: m.data,
    headers: fromNatsHeaders(m.headers),
    deliveryCount: m.info.deliveryCount,
  };
}

/** A durable pull consumer handling `concurrency` messages at a time (default one), in stream order. */
export async function startNatsConsumer(
  deps: NatsConsumerDeps,
  options: ResolvedConsumeOptions,
): Promise<Subscription> {
  const { durable } = options;
  const logger = deps.logger.child({ durable });
  const spec = {
    stream: deps.stream,
    durable,
    filterSubject: options.subjects,
    ackWaitMs: options.ackWaitMs,
  };
  try {
    await ensureConsumer(deps.jsm, spec);
  } catch (err) {
    // The stream was there when the bus connected but is gone now: make it again, once.
    if (!isStreamNotFound(err)) throw err;
    logger.warn({ stream: deps.stream }, 'stream missing, creating it again');
    await deps.ensureStreams();
    await ensureConsumer(deps.jsm, spec);
  }
  const consumer = await deps.js.consumers.get(deps.stream, durable);
  // A small batch keeps few messages leased by a replica that is about to stop.
  const messages = await consumer.consume({ max_messages: 16, expires: 5_000 });
  let stopping = false;
  const handBack: JsMsg[] = [];

  const deliver = (m: JsMsg, delivered: DeliveredMessage) =>
    handleDelivery(
      delivered,
      options,
      {
        // A plain ack, not a confirmed one (`ackAck`, a request per delivery): a lost ack only
        // means a redelivery after ackWait, which every consumer already dedups (inbox rows,
        // the frame store's message ids), and `stop` flushes what was sent before it returns.
        ack: async () => {
          m.ack();
        },
        retry: async (delayMs) => m.nak(delayMs),
        deadLetter: async (dl) => {
          await deps.publishDeadLetter(dl);
          m.term(`dead-lettered: ${dl.error}`.slice(0, 200));
        },
      },
      logger,
      deps.metrics,
    ).catch((err: unknown) => {
      logger.error({ err: errorMessage(err), seq: m.seq }, 'delivery outcome not recorded');
    });

  const loop = (async () => {
    // Up to `concurrency` deliveries at once (counting those waiting for their keys), started
    // in stream order.
    const inFlight = new Set<Promise<void>>();
    const order = keyOrder(options.orderKeys);
    try {
      for await (const m of messages) {
        if (stopping) {
          // Buffered but not started. A nak now could be redelivered into this very pull
          // subscription and lost until ackWait, so hand it back once it is unsubscribed.
          handBack.push(m);
          continue;
        }
        const delivered = toDelivered(m);
        const done: Promise<void> = order
          .after(delivered, inFlight, () => deliver(m, delivered))
          .finally(() => inFlight.delete(done));
        inFlight.add(done);
        if (inFlight.size >= options.concurrency) await Promise.race(inFlight);
      }
    } finally {
      await Promise.all(inFlight);
    }
  })().catch((err: unknown) => {
    logger.error({ err: errorMessage(err) }, 'consumer loop ended with an error');
  });

  return {
    async stop() {
      if (stopping) return loop;
      stopping = true;
      await messages.close();
      await loop;
      // The acks of what was handled reach the broker before this resolves, and the
      // unsubscribe before any nak below.
      await deps.nc.flush();
      if (handBack.length > 0) {
        for (const m of handBack) m.nak();
        await deps.nc.flush();
      }
    },
  };
}
