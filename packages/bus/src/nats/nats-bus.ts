import {
  RequestError,
  TimeoutError,
  type Subscription as NatsSubscription,
} from '@nats-io/transport-node';
import type { JetStreamManager } from '@nats-io/jetstream';
import { context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { uuidv7 } from 'uuidv7';
import { buildDeadLetterHeaders, errorMessage, resolveConsumeOptions } from '../delivery.js';
import { BusNoRespondersError, BusRemoteError, BusTimeoutError } from '../errors.js';
import { consumerMetrics } from '../metrics.js';
import { assertDurableName, assertMessageId, assertSubject } from '../subjects.js';
import type { Bus, BusMessage, Subscription } from '../types.js';
import { fromNatsHeaders, messageIdHeader, replyErrorHeader, toNatsHeaders } from './headers.js';
import { startNatsConsumer } from './nats-consumer.js';
import { connectJetStream, ensureStream } from './nats-streams.js';

export interface NatsBusOptions {
  servers: string | string[];
  /** Connection name shown by the server (service name and replica). */
  name: string;
  logger: Logger;
  streamName?: string;
  subjects?: string[];
  dlqStreamName?: string;
  /** Prefix of dead-letter subjects: `<prefix>.<durable>`. */
  dlqSubjectPrefix?: string;
  /** Broker dedup window for `Nats-Msg-Id`. Default 2 minutes. */
  duplicateWindowMs?: number;
  defaultRequestTimeoutMs?: number;
  metrics?: Registry;
  /** This service's NATS user (its subject permissions are set on the server). */
  credentials?: { user: string; pass: string };
}

/** Connects, creates or updates the event and dead-letter streams, and returns the bus. */
export async function createNatsBus(options: NatsBusOptions): Promise<Bus> {
  const logger = options.logger.child({ component: 'bus', adapter: 'nats' });
  const streamName = options.streamName ?? 'KITH_EVENTS';
  const dlqStreamName = options.dlqStreamName ?? 'KITH_DLQ';
  const dlqPrefix = options.dlqSubjectPrefix ?? 'kith.dlq';
  const duplicateWindowMs = options.duplicateWindowMs ?? 120_000;
  const defaultTimeoutMs = options.defaultRequestTimeoutMs ?? 5_000;
  const metrics = consumerMetrics(options.metrics);

  const ensureStreams = async (manager: JetStreamManager): Promise<void> => {
    await ensureStream(
      manager,
      streamName,
      options.subjects ?? ['kith.events.>'],
      duplicateWindowMs,
    );
    await ensureStream(manager, dlqStreamName, [`${dlqPrefix}.>`], duplicateWindowMs);
  };
  const { nc, js, jsm } = await connectJetStream(options, ensureStreams);

  // Live subscribers that must learn of a dropped connection (they may have missed messages),
  // or of a slow consumer whose messages the client dropped.
  const interruptListeners = new Set<() => void>();
  void (async () => {
    for await (const status of nc.status()) {
      if (
        status.type !== 'disconnect' &&
        status.type !== 'reconnect' &&
        status.type !== 'slowConsumer'
      )
        continue;
      for (const listener of interruptListeners) {
        try {
          listener();
        } catch (err) {
          logger.error({ err: errorMessage(err) }, 'live interruption listener threw');
        }
      }
    }
  })();

  const active = new Set<Subscription>();
  const track = (sub: Subscription): Subscription => {
    const wrapped: Subscription = {
      async stop() {
        active.delete(wrapped);
        await sub.stop();
      },
    };
    active.add(wrapped);
    return wrapped;
  };
  const deadLetterSubject = (durable: string) => `${dlqPrefix}.${durable}`;

  const check = (msg: BusMessage) => {
    assertMessageId(msg.id);
    assertSubject(msg.subject, false);
  };
  const send = async (msg: BusMessage, dedupKey = msg.id) => {
    await js.publish(msg.subject, msg.data, {
      msgID: dedupKey,
      headers: toNatsHeaders({ ...msg.headers, [messageIdHeader]: msg.id }),
    });
  };

  const bus: Bus = {
    async publish(msg, publishOptions) {
      check(msg);
      await send(msg, publishOptions?.dedupKey);
    },

    // One connection carries the publishes in order and the server stores them in the order it
    // reads them, so they need not wait for each other's acks: a batch costs about one round
    // trip instead of one per message.
    async publishMany(msgs) {
      // Every message is checked before any is sent: a bad one fails the batch, not half of it.
      msgs.forEach(check);
      await Promise.all(msgs.map((msg) => send(msg)));
    },

    async consume(consumeOptions) {
      const resolved = resolveConsumeOptions(consumeOptions);
      assertDurableName(resolved.durable);
      assertSubject(resolved.subjects, true);
      // The dead-letter stream is readable through the same API (operators, tests).
      const stream = resolved.subjects.startsWith(`${dlqPrefix}.`) ? dlqStreamName : streamName;
      const sub = await startNatsConsumer(
        {
          nc,
          js,
          jsm,
          stream,
          logger,
          metrics,
          ensureStreams: () => ensureStreams(jsm),
          async publishDeadLetter(dl) {
            await js.publish(deadLetterSubject(dl.durable), dl.message.data, {
              msgID: uuidv7(),
              headers: toNatsHeaders({
                ...buildDeadLetterHeaders(dl),
                [messageIdHeader]: uuidv7(),
              }),
            });
          },
        },
        resolved,
      );
      return track(sub);
    },

    async request(subject, data, requestOptions) {
      const timeoutMs = requestOptions?.timeoutMs ?? defaultTimeoutMs;
      const headers = { ...requestOptions?.headers };
      propagation.inject(context.active(), headers);
      try {
        const reply = await nc.request(subject, data, {
          timeout: timeoutMs,
          headers: toNatsHeaders(headers),
        });
        const remoteError = reply.headers?.get(replyErrorHeader);
        if (remoteError) throw new BusRemoteError(subject, remoteError);
        return reply.data;
      } catch (err) {
        if (err instanceof TimeoutError)
          throw new BusTimeoutError(subject, timeoutMs, { cause: err });
        if (err instanceof RequestError && err.isNoResponders()) {
          throw new BusNoRespondersError(subject, { cause: err });
        }
        throw err;
      }
    },

    async serve(subject, handler, serveOptions) {
      assertSubject(subject, true);
      const inFlight = new Set<Promise<void>>();
      const sub: NatsSubscription = nc.subscribe(subject, {
        queue: serveOptions?.queue ?? 'kith',
        callback: (err, m) => {
          if (err) {
            logger.error({ subject, err: errorMessage(err) }, 'serve subscription failed');
            return;
          }
          const headers = fromNatsHeaders(m.headers);
          const parent = propagation.extract(ROOT_CONTEXT, headers);
          const work = context
            .with(parent, () => handler({ subject: m.subject, data: m.data, headers }))
            .then(
              (reply) => void m.respond(reply),
              (handlerErr: unknown) => {
                const message = errorMessage(handlerErr).replace(/[\r\n]+/g, ' ');
                logger.warn({ subject, err: message }, 'serve handler failed');
                m.respond(new Uint8Array(), {
                  headers: toNatsHeaders({ [replyErrorHeader]: message || 'error' }),
                });
              },
            )
            .finally(() => inFlight.delete(work));
          inFlight.add(work);
        },
      });
      // Make sure the server knows the subscription before callers start requesting.
      await nc.flush();
      return track({
        async stop() {
          await sub.drain();
          await Promise.allSettled([...inFlight]);
        },
      });
    },

    publishLive(subject, data) {
      nc.publish(subject, data);
    },

    subscribeLive(subject, callback, liveOptions) {
      const interrupted = liveOptions?.onInterrupted;
      if (interrupted) interruptListeners.add(interrupted);
      const sub = nc.subscribe(subject, {
        callback: (err, m) => {
          if (err) {
            logger.error({ subject, err: errorMessage(err) }, 'live subscription failed');
            return;
          }
          try {
            callback({ subject: m.subject, data: m.data });
          } catch (cbErr) {
            logger.error({ subject, err: errorMessage(cbErr) }, 'live callback threw');
          }
        },
      });
      return {
        unsubscribe: () => {
          if (interrupted) interruptListeners.delete(interrupted);
          sub.unsubscribe();
        },
      };
    },

    deadLetterSubject,

    async ping() {
      await nc.flush();
    },

    async drain() {
      await Promise.all([...active].map((s) => s.stop()));
      if (!nc.isClosed()) await nc.drain();
    },
  };
  return bus;
}
