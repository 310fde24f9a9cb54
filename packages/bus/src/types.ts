/**
 * The bus carries opaque bytes: the event envelope is encoded by the caller, so the bus stays
 * independent of any protobuf schema and both adapters behave the same.
 */
export interface BusMessage {
  /** UUIDv7; equals the outbox row id and is the broker dedup key unless `dedupKey` is given. */
  id: string;
  /** `kith.events.<type>`. */
  subject: string;
  data: Uint8Array;
  /** Application headers, including W3C `traceparent` / `tracestate`. */
  headers: Record<string, string>;
}

export interface PublishOptions {
  /**
   * Broker dedup key when it must differ from `id`: a replay republishes the same logical id
   * (so consumers' inboxes still dedup it) under a fresh key the broker will accept.
   */
  dedupKey?: string;
}

export interface DeliveredMessage extends BusMessage {
  /** 1 on first delivery, incremented on every redelivery. */
  deliveryCount: number;
}

export interface DeadLetter {
  durable: string;
  message: DeliveredMessage;
  /** Message of the error thrown by the last attempt. */
  error: string;
  deliveryCount: number;
}

export interface ConsumeOptions {
  /** Durable consumer name: letters, digits, `-` and `_`. */
  durable: string;
  /** One filter subject; NATS wildcards `*` and `>` allowed. */
  subjects: string;
  handler: (msg: DeliveredMessage) => Promise<void>;
  /** Deliveries before a message is dead-lettered. Default 5. */
  maxDeliver?: number;
  /** Delay before redelivery after attempt n (index n-1; the last entry repeats). */
  backoffMs?: number[];
  /** How long an unacknowledged delivery stays leased before it is redelivered. Default 30 s. */
  ackWaitMs?: number;
  /** Called before a message is moved to the dead-letter stream and terminated. */
  onDeadLetter?: (deadLetter: DeadLetter) => Promise<void>;
  /**
   * Deliveries handled at once, started in stream order (default 1: one after another). Only
   * for a handler that keeps whatever order it needs itself, or states it in `orderKeys`. The
   * NATS adapter overlaps them (each waits on the broker); the local bus, whose handlers share
   * one PGlite session, still handles one at a time.
   */
  concurrency?: number;
  /**
   * With `concurrency`: what a delivery must not overtake. A delivery starts only after every
   * earlier one that shares a key with it has finished (stream order per key); deliveries with
   * no key in common overlap. No keys (`[]`): it overlaps anything. `undefined`: it waits for
   * every earlier delivery, and every later one waits for it. Unset: no order at all.
   */
  orderKeys?: (msg: DeliveredMessage) => readonly string[] | undefined;
}

export interface Subscription {
  /** Stops taking new messages and waits for the handler in flight. */
  stop(): Promise<void>;
}

export interface RequestOptions {
  timeoutMs?: number;
  headers?: Record<string, string>;
}

export interface Request {
  subject: string;
  data: Uint8Array;
  headers: Record<string, string>;
}

export interface ServeOptions {
  /** Queue group shared by replicas. Default `kith`. */
  queue?: string;
}

export interface LiveMessage {
  subject: string;
  data: Uint8Array;
}

export interface LiveSubscription {
  unsubscribe(): void;
}

export interface LiveOptions {
  /**
   * Called when the subscription may have missed messages: the connection to the broker
   * dropped (NATS). Never on the local bus, whose publishes cannot be missed in its process.
   */
  onInterrupted?: () => void;
}

export interface Bus {
  /** Durable publish, deduplicated by `id` (or `dedupKey`). Resolves once stored. */
  publish(msg: BusMessage, options?: PublishOptions): Promise<void>;
  /**
   * Durable publish of several messages, each deduplicated by its `id`, stored in the given
   * order without waiting for one to be stored before sending the next. Resolves once all are
   * stored; on a rejection any of them may be stored, so a retry republishes the same ids.
   */
  publishMany(msgs: readonly BusMessage[]): Promise<void>;
  /** Starts (or resumes) a durable consumer; at-least-once delivery. */
  consume(options: ConsumeOptions): Promise<Subscription>;
  /** Request/reply; rejects with `BusTimeoutError`, `BusNoRespondersError` or `BusRemoteError`. */
  request(subject: string, data: Uint8Array, options?: RequestOptions): Promise<Uint8Array>;
  serve(
    subject: string,
    handler: (req: Request) => Promise<Uint8Array>,
    options?: ServeOptions,
  ): Promise<Subscription>;
  /** Fire-and-forget fan-out with no durability (realtime gateway). */
  publishLive(subject: string, data: Uint8Array): void;
  /**
   * Every message on `subject` from now on while subscribed, live ones and durable publishes
   * alike (as a NATS core subscriber sees JetStream publishes), in publish order per publisher;
   * nothing is replayed or redelivered. For in-memory views a process keeps of events.
   */
  subscribeLive(
    subject: string,
    callback: (msg: LiveMessage) => void,
    options?: LiveOptions,
  ): LiveSubscription;
  /** Dead-letter subject for a durable consumer. */
  deadLetterSubject(durable: string): string;
  ping(): Promise<void>;
  /** Stops consumers and servers, lets in-flight handlers finish, flushes and closes. */
  drain(): Promise<void>;
}
