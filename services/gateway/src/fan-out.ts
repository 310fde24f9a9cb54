import { fromBinary, toJsonString } from '@bufbuild/protobuf';
import type { Bus, LiveSubscription } from '@kith/bus';
import { ServerFrameSchema } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { ServerFrame } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { ServiceContext } from '@kith/runtime';
import { Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { FrameEncoding } from './protocol.js';
import { liveSubjectOf } from './routing/topics.js';

/** A stored event frame as it arrives live: decoded once, encoded at most once per encoding. */
export class LiveFrame {
  readonly frame: ServerFrame;
  private readonly binary: Uint8Array;
  private json: string | undefined;

  constructor(
    /** The replay store key of the topic it was stored on. */
    readonly key: string,
    data: Uint8Array,
    /** The frame `data` encodes, when the caller has it already (no decode). */
    frame?: ServerFrame,
  ) {
    this.binary = data;
    this.frame = frame ?? fromBinary(ServerFrameSchema, data);
  }

  get seq(): bigint {
    return this.frame.seq;
  }

  /** The frame as a socket of `encoding` receives it; the stored bytes are the binary form. */
  encoded(encoding: FrameEncoding): Uint8Array | string {
    if (encoding === 'binary') return this.binary;
    this.json ??= toJsonString(ServerFrameSchema, this.frame);
    return this.json;
  }
}

/** A socket's end of a topic: called with each live frame, in the topic's order. */
export interface TopicListener {
  deliver(frame: LiveFrame): void;
}

interface HeldTopic {
  listeners: Set<TopicListener>;
  subscription: LiveSubscription;
  /** Frames waiting for the delivery loop (a large topic is delivered in slices). */
  queue: LiveFrame[];
  draining: boolean;
  /** The highest seq this process stored and delivered itself (`publish`): its echo is skipped. */
  published: bigint;
}

/** Sockets served before the loop yields to the event loop (other sockets, timers, I/O). */
const SLICE = 512;

/**
 * The process's live side of the topics its sockets hold: one bus subscription per topic,
 * shared by every local socket on it, each frame decoded once. Delivery walks the listeners in
 * slices and yields between them, so one broadcast to many sockets cannot stall the rest.
 * A frame this process stored itself (`publish`) reaches its own sockets at once, not after a
 * round trip through the broker; other replicas get it through the bus.
 */
export class FanOut {
  private readonly topics = new Map<string, HeldTopic>();
  private readonly latency: Histogram;

  constructor(
    private readonly bus: Pick<Bus, 'subscribeLive' | 'publishLive'>,
    private readonly logger: ServiceContext['logger'],
    metrics: Registry,
  ) {
    this.latency = new Histogram({
      name: 'kith_gateway_fanout_seconds',
      help: 'From a live frame reaching this process to its last local socket send',
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [metrics],
    });
  }

  add(key: string, listener: TopicListener): void {
    let held = this.topics.get(key);
    if (!held) {
      const fresh: HeldTopic = {
        listeners: new Set(),
        queue: [],
        draining: false,
        published: 0n,
        subscription: this.bus.subscribeLive(liveSubjectOf(key), (msg) =>
          this.arrive(key, fresh, msg.data),
        ),
      };
      held = fresh;
      this.topics.set(key, held);
    }
    held.listeners.add(listener);
  }

  remove(key: string, listener: TopicListener): void {
    const held = this.topics.get(key);
    if (!held?.listeners.delete(listener) || held.listeners.size > 0) return;
    held.subscription.unsubscribe();
    this.topics.delete(key);
  }

  /**
   * A frame this process stored (numbered in the replay log): local sockets on its topic get it
   * now, every replica's (this one's too) through the bus; this one then skips the echo.
   */
  publish(key: string, data: Uint8Array, frame?: ServerFrame): void {
    const held = this.topics.get(key);
    if (held) {
      const live = new LiveFrame(key, data, frame);
      if (live.seq > held.published) held.published = live.seq;
      this.enqueue(held, live);
    }
    this.bus.publishLive(liveSubjectOf(key), data);
  }

  private arrive(key: string, held: HeldTopic, data: Uint8Array): void {
    let frame: LiveFrame;
    try {
      frame = new LiveFrame(key, data);
    } catch (err) {
      this.logger.warn({ err, key }, 'undecodable live frame dropped');
      return;
    }
    // The echo of a frame published here, or an older one: every local socket on the topic
    // has a later seq already (or reads a later head when it subscribes), so would drop it.
    if (frame.seq <= held.published) return;
    this.enqueue(held, frame);
  }

  private enqueue(held: HeldTopic, frame: LiveFrame): void {
    held.queue.push(frame);
    if (!held.draining) void this.drain(held);
  }

  private async drain(held: HeldTopic): Promise<void> {
    held.draining = true;
    try {
      for (let frame = held.queue.shift(); frame; frame = held.queue.shift()) {
        const started = performance.now();
        // A listener added meanwhile starts with the next frame (it reads the head itself).
        const listeners = [...held.listeners];
        for (let i = 0; i < listeners.length; i += 1) {
          if (i > 0 && i % SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
          try {
            listeners[i]!.deliver(frame);
          } catch (err) {
            this.logger.error({ err, key: frame.key }, 'frame delivery failed');
          }
        }
        this.latency.observe((performance.now() - started) / 1000);
      }
    } finally {
      held.draining = false;
    }
  }
}
