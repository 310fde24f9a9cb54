import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { SupportInternalService } from '@kith/gen/kith/support/v1/internal_pb.js';
import { DeliveryChannel } from '@kith/gen/kith/support/v1/types_pb.js';
import type { InternalClient, ServiceContext } from '@kith/runtime';
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';

/** Most deliveries one RecordDeliveries request may carry (RecordDeliveriesRequest.deliveries). */
const MAX_PER_REQUEST = 100;
/**
 * Most receipts waiting for the next request. Beyond it (support slow and Acks flooding in)
 * receipts are dropped: a receipt is best effort, and support falls back to push without one.
 */
const MAX_QUEUED = 10_000;

/** Socket delivery receipts on their way to the support service. */
export interface DeliveryReceipts {
  /** The user's socket acknowledged an alert of the incident. Never throws, never waits. */
  record(incidentId: string, userId: string): void;
  /** Sends what is queued; resolves once every request it sent is answered or failed. */
  flush(): Promise<void>;
}

interface Receipt {
  incidentId: string;
  userId: string;
  at: Date;
}

/**
 * Reports socket Acks of incident alerts to SupportInternalService.RecordDeliveries (the
 * responder's DELIVERED state), best effort: the receipts of one turn of the event loop share
 * requests of up to 100, a failed request is logged and counted, never retried (a receipt is
 * not a human acknowledgement and never stops the ladder; without one, support falls back to
 * push). The socket never waits for any of it.
 *
 * An incident has one request in flight at a time: the receipts that arrive meanwhile (the
 * other members of an SOS acknowledging over the next milliseconds) wait and go together when
 * it is answered. Support records an incident's receipts under a lock on the incident, so
 * requests sent side by side would only queue there, each holding a connection.
 */
export function deliveryReceipts(deps: {
  support: Pick<InternalClient<typeof SupportInternalService>, 'recordDeliveries'>;
  clock: () => Date;
  logger: ServiceContext['logger'];
  metrics: Registry;
}): DeliveryReceipts {
  const receipts = new Counter({
    name: 'kith_gateway_delivery_receipts_total',
    help: 'Socket Acks of incident alerts reported to support, by outcome (sent, failed, dropped)',
    labelNames: ['outcome'],
    registers: [deps.metrics],
  });
  let queued: Receipt[] = [];
  let scheduled = false;
  const inFlight = new Set<Promise<void>>();
  /** Incidents with a request in flight: their new receipts wait for its answer. */
  const busy = new Set<string>();

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    setImmediate(sendQueued);
  }

  async function send(batch: Receipt[]): Promise<void> {
    try {
      await deps.support.recordDeliveries({
        deliveries: batch.map((r) => ({
          incidentId: r.incidentId,
          userId: r.userId,
          channel: DeliveryChannel.SOCKET,
          deliveredAt: timestampFromDate(r.at),
        })),
      });
      receipts.inc({ outcome: 'sent' }, batch.length);
    } catch (err) {
      receipts.inc({ outcome: 'failed' }, batch.length);
      deps.logger.warn({ err, receipts: batch.length }, 'delivery receipts not recorded');
    }
  }

  function sendQueued(): void {
    scheduled = false;
    // The first receipt per responder and incident is the one support keeps.
    const seen = new Set<string>();
    const ready: Receipt[] = [];
    const waiting: Receipt[] = [];
    for (const r of queued) {
      if (busy.has(r.incidentId)) {
        waiting.push(r);
        continue;
      }
      const key = `${r.incidentId}:${r.userId}`;
      if (seen.has(key)) continue;
      seen.add(key);
      ready.push(r);
    }
    queued = waiting;
    for (let i = 0; i < ready.length; i += MAX_PER_REQUEST) {
      const batch = ready.slice(i, i + MAX_PER_REQUEST);
      const incidents = new Set(batch.map((r) => r.incidentId));
      for (const incidentId of incidents) busy.add(incidentId);
      const request: Promise<void> = send(batch).finally(() => {
        for (const incidentId of incidents) busy.delete(incidentId);
        inFlight.delete(request);
        if (queued.length > 0) schedule();
      });
      inFlight.add(request);
    }
  }

  return {
    record(incidentId, userId) {
      if (queued.length >= MAX_QUEUED) {
        receipts.inc({ outcome: 'dropped' });
        return;
      }
      queued.push({ incidentId, userId, at: deps.clock() });
      schedule();
    },
    async flush() {
      // Receipts waiting on an incident's request go once it is answered.
      while (queued.length > 0 || inFlight.size > 0) {
        if (queued.length > 0) sendQueued();
        await Promise.all(inFlight);
      }
    },
  };
}
