import { timestampMs } from '@bufbuild/protobuf/wkt';
import { decodeEvent } from '@kith/bus';
import type { Bus, Subscription, TopicLog } from '@kith/bus';
import type { Envelope } from '@kith/gen/kith/events/v1/events_pb.js';
import { ServerFrameSchema } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { ServerFrame } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { ServiceContext } from '@kith/runtime';
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import { routeEvent } from './routing/route-event.js';
import { liveSubjectOf } from './routing/topics.js';
import { encodeBinary } from '@kith/wire';

/** Deliveries the frame store handles at once (the pull batch is 16). */
const FRAME_STORE_CONCURRENCY = 16;

/** The gateway replicas' shared durable consumer of every bus event. */
export const FRAME_STORE_DURABLE = 'gateway-frames';

/**
 * Turns bus events into event frames: each routed frame is numbered and stored in its topic's
 * replay log (once per event and topic, however often the event is redelivered), then fanned
 * out live to every gateway replica. Replicas share the durable consumer, so each event is
 * stored by one of them; a replica that stops between storing and fanning out leaves a hole
 * the client refills with Resume.
 */
export function startFrameStore(deps: {
  bus: Bus;
  log: TopicLog;
  logger: ServiceContext['logger'];
  metrics: Registry;
  /**
   * Fans out a stored frame (the gateway's `publish`: this replica's sockets at once, the others
   * through the bus). Default: the bus's live subject only.
   */
  publish?: (key: string, data: Uint8Array, frame: ServerFrame) => void;
  /** Events older than this (the replay window) make no frames: no client could resume them. */
  maxAgeMs: number;
  clock: () => Date;
}): Promise<Subscription> {
  const { bus, log, logger } = deps;
  const publish =
    deps.publish ?? ((key: string, data: Uint8Array) => bus.publishLive(liveSubjectOf(key), data));
  const stored = new Counter({
    name: 'kith_gateway_frames_stored_total',
    help: 'Event frames numbered and stored in the replay log',
    registers: [deps.metrics],
  });
  return bus.consume({
    durable: FRAME_STORE_DURABLE,
    subjects: 'kith.events.>',
    // Each delivery mostly waits on the broker (the append, then the ack): an SOS to a circle
    // is a burst of one event per member.
    concurrency: FRAME_STORE_CONCURRENCY,
    async handler(msg) {
      let envelope: Envelope;
      try {
        envelope = decodeEvent(msg.data);
      } catch (err) {
        // Retrying cannot make it decodable; no socket can be owed a frame of it.
        logger.warn({ err, subject: msg.subject }, 'undecodable bus event skipped');
        return;
      }
      const routing = routeEvent(envelope);
      // An erasure is applied however late it comes.
      for (const key of routing.purge) await log.purge(key);
      // A first start over a long event history, or a redelivery after a long outage: frames
      // this old would reach live sockets as news and fall out of the window at once.
      const occurred = envelope.occurredAt ? timestampMs(envelope.occurredAt) : 0;
      if (occurred < deps.clock().getTime() - deps.maxAgeMs) return;
      const perTopic = new Map<string, number>();
      // Every append of the event is asked for before any is awaited: the log numbers a topic's
      // appends in the order they are asked for, so with deliveries handled side by side
      // (`concurrency`) a topic's frames still follow the events' order in this replica.
      const appends = routing.frames.map(({ topic, frame }) => {
        // An event's second frame on one topic (a reply's CREATED, then its parent's count)
        // needs a key of its own; the first keeps `<event id>:<topic>`.
        const nth = (perTopic.get(topic.key) ?? 0) + 1;
        perTopic.set(topic.key, nth);
        const key = `${envelope.id}:${topic.key}${nth === 1 ? '' : `:${nth}`}`;
        return log
          .append(topic.key, key, (seq) => {
            frame.seq = seq;
            return encodeBinary(ServerFrameSchema, frame);
          })
          .then((result) => {
            if (result.duplicate) return;
            stored.inc();
            publish(topic.key, result.data, frame);
          });
      });
      await Promise.all(appends);
    },
  });
}
