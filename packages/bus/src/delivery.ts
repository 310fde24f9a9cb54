import type { Logger } from 'pino';
import type { ConsumerMetrics } from './metrics.js';
import type { ConsumeOptions, DeadLetter, DeliveredMessage } from './types.js';

export const defaultMaxDeliver = 5;
export const defaultBackoffMs = [200, 1000, 5000];
export const defaultAckWaitMs = 30_000;

/** Header names the dead-letter stream adds to the original headers. */
export const deadLetterHeaders = {
  consumer: 'Kith-Dlq-Consumer',
  subject: 'Kith-Dlq-Original-Subject',
  id: 'Kith-Dlq-Original-Id',
  error: 'Kith-Dlq-Error',
  deliveryCount: 'Kith-Dlq-Delivery-Count',
} as const;

export type ResolvedConsumeOptions = Required<Omit<ConsumeOptions, 'onDeadLetter' | 'orderKeys'>> &
  Pick<ConsumeOptions, 'onDeadLetter' | 'orderKeys'>;

export function resolveConsumeOptions(options: ConsumeOptions): ResolvedConsumeOptions {
  const maxDeliver = options.maxDeliver ?? defaultMaxDeliver;
  if (!Number.isInteger(maxDeliver) || maxDeliver < 1) throw new Error('maxDeliver must be ≥ 1');
  const backoffMs = options.backoffMs ?? defaultBackoffMs;
  if (backoffMs.some((ms) => !(ms >= 0))) throw new Error('backoffMs entries must be ≥ 0');
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('concurrency must be ≥ 1');
  return {
    ...options,
    maxDeliver,
    backoffMs,
    ackWaitMs: options.ackWaitMs ?? defaultAckWaitMs,
    concurrency,
  };
}

/**
 * The order `ConsumeOptions.orderKeys` asks of an adapter that overlaps deliveries: `after`
 * starts a delivery once every earlier one it must not overtake is done. `inFlight` holds the
 * adapter's deliveries started or waiting, earlier ones first; `start` must not reject.
 */
export function keyOrder(orderKeys: ConsumeOptions['orderKeys']) {
  /** Per key, the latest delivery that holds it. */
  const latest = new Map<string, Promise<void>>();
  /** The latest delivery without keys, which every later one waits for. */
  let barrier: Promise<void> | undefined;
  return {
    after(
      msg: DeliveredMessage,
      inFlight: ReadonlySet<Promise<void>>,
      start: () => Promise<void>,
    ): Promise<void> {
      if (!orderKeys) return start();
      let keys: readonly string[] | undefined;
      try {
        keys = orderKeys(msg);
      } catch {
        // A message its keys cannot be read from (undecodable) waits for all; its handler
        // fails it the usual way.
        keys = undefined;
      }
      const before: Promise<void>[] = keys === undefined ? [...inFlight] : [];
      if (keys !== undefined) {
        if (barrier) before.push(barrier);
        for (const key of keys) {
          const earlier = latest.get(key);
          if (earlier) before.push(earlier);
        }
      }
      const run = before.length === 0 ? start() : Promise.all(before).then(start);
      if (keys === undefined) barrier = run;
      else for (const key of keys) latest.set(key, run);
      const forget = () => {
        if (barrier === run) barrier = undefined;
        for (const key of keys ?? []) if (latest.get(key) === run) latest.delete(key);
      };
      run.then(forget, forget);
      return run;
    },
  };
}

/** Delay before the next delivery after attempt `deliveryCount` failed. */
export function backoffFor(backoffMs: number[], deliveryCount: number): number {
  if (backoffMs.length === 0) return 0;
  return backoffMs[Math.min(deliveryCount - 1, backoffMs.length - 1)] ?? 0;
}

/** The dead-letter message keeps the original headers so a replay can restore trace context. */
export function buildDeadLetterHeaders(dl: DeadLetter): Record<string, string> {
  return {
    ...dl.message.headers,
    [deadLetterHeaders.consumer]: dl.durable,
    [deadLetterHeaders.subject]: dl.message.subject,
    [deadLetterHeaders.id]: dl.message.id,
    // Header values are single-line on the wire; keep the error short and flat.
    [deadLetterHeaders.error]: dl.error.replace(/[\r\n]+/g, ' ').slice(0, 1000),
    [deadLetterHeaders.deliveryCount]: String(dl.deliveryCount),
  };
}

/** What an adapter does with a delivery once the outcome is decided. */
export interface DeliveryActions {
  ack(): Promise<void>;
  retry(delayMs: number, error: string): Promise<void>;
  /** Publish to the dead-letter stream, then terminate the original delivery. */
  deadLetter(dl: DeadLetter): Promise<void>;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * One delivery's life, identical for every adapter: handler resolves → ack; throws → retry
 * after the backoff for that attempt; the last allowed attempt failing → dead letter. The
 * broker itself never gives up on a message (no server-side max_deliver): a process that
 * crashed during the last attempt, or failed to dead-letter, dead-letters it on the next
 * delivery instead of leaving it stranded.
 */
export async function handleDelivery(
  msg: DeliveredMessage,
  options: ResolvedConsumeOptions,
  actions: DeliveryActions,
  logger: Logger,
  metrics: ConsumerMetrics,
): Promise<void> {
  const { durable, maxDeliver } = options;
  let error: string;
  if (msg.deliveryCount > maxDeliver) {
    error = `exceeded ${maxDeliver} deliveries without an outcome`;
  } else {
    let failure: { error: string } | undefined;
    try {
      await options.handler(msg);
    } catch (err) {
      failure = { error: errorMessage(err) };
    }
    if (!failure) {
      // An ack that fails is not a handler failure: the broker redelivers after ackWait.
      await actions.ack();
      metrics.deliveries.inc({ durable, outcome: 'ack' });
      return;
    }
    error = failure.error;
    if (msg.deliveryCount < maxDeliver) {
      const delayMs = backoffFor(options.backoffMs, msg.deliveryCount);
      logger.warn(
        { durable, messageId: msg.id, deliveryCount: msg.deliveryCount, delayMs, err: error },
        'bus handler failed; will retry',
      );
      await actions.retry(delayMs, error);
      metrics.deliveries.inc({ durable, outcome: 'retry' });
      return;
    }
  }
  const dl: DeadLetter = { durable, message: msg, error, deliveryCount: msg.deliveryCount };
  try {
    await options.onDeadLetter?.(dl);
    await actions.deadLetter(dl);
    metrics.deliveries.inc({ durable, outcome: 'dead_letter' });
    logger.error(
      {
        durable,
        messageId: msg.id,
        subject: msg.subject,
        deliveryCount: msg.deliveryCount,
        err: error,
      },
      'bus message dead-lettered',
    );
  } catch (err) {
    // Not dead-lettered yet: the next delivery (count > maxDeliver) comes straight back here.
    const reason = `dead-lettering failed: ${errorMessage(err)}`;
    logger.error({ durable, messageId: msg.id, err: reason }, 'dead-lettering failed');
    await actions.retry(backoffFor(options.backoffMs, msg.deliveryCount), reason);
  }
}
