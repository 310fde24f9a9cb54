import assert from 'node:assert/strict';
import { test } from 'vitest';
import { create } from '@bufbuild/protobuf';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import {
  RecordDeliveriesRequestSchema,
  RecordDeliveriesResponseSchema,
} from '@kith/gen/kith/support/v1/internal_pb.js';
import type { RecordDeliveriesRequest } from '@kith/gen/kith/support/v1/internal_pb.js';
import { DeliveryChannel } from '@kith/gen/kith/support/v1/types_pb.js';
import { waitFor } from '@kith/testkit';
import { Registry } from 'prom-client';
import { deliveryReceipts } from './delivery-receipts.js';
import { silentLogger } from './test-harness.js';

const id = (n: number) => `01900000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
const responder = id(0xb0);
const now = new Date('2026-12-07T10:00:00Z');

/** A stand-in for RecordDeliveries that records each request, or fails every one. */
function standIn(fail = false) {
  const calls: RecordDeliveriesRequest[] = [];
  return {
    calls,
    async recordDeliveries(req: MessageInitShape<typeof RecordDeliveriesRequestSchema>) {
      calls.push(create(RecordDeliveriesRequestSchema, req));
      if (fail) throw new Error('kith.internal.support.RecordDeliveries: circuit open');
      return create(RecordDeliveriesResponseSchema);
    },
  };
}

async function outcomes(metrics: Registry) {
  const metric = await metrics.getSingleMetric('kith_gateway_delivery_receipts_total')?.get();
  return Object.fromEntries((metric?.values ?? []).map((v) => [v.labels.outcome, v.value]));
}

test('the receipts of one turn share requests of up to 100, once per incident and responder', async () => {
  const support = standIn();
  const metrics = new Registry();
  const receipts = deliveryReceipts({
    support,
    clock: () => now,
    logger: silentLogger(),
    metrics,
  });
  for (let i = 0; i < 250; i += 1) receipts.record(id(i), responder);
  // A second socket of the same responder acknowledging the same alert.
  receipts.record(id(3), responder);
  assert.equal(support.calls.length, 0, 'sent after the turn, never while the socket waits');
  await receipts.flush();
  assert.deepEqual(
    support.calls.map((c) => c.deliveries.length),
    [100, 100, 50],
  );
  const first = support.calls[0]!.deliveries[0]!;
  assert.deepEqual(
    [first.incidentId, first.userId, first.channel, timestampDate(first.deliveredAt!)],
    [id(0), responder, DeliveryChannel.SOCKET, now],
  );
  assert.equal(
    new Set(support.calls.flatMap((c) => c.deliveries.map((d) => d.incidentId))).size,
    250,
  );
  assert.deepEqual(await outcomes(metrics), { sent: 250 });

  // A later turn sends again (support keeps the first receipt and ignores the rest).
  receipts.record(id(3), responder);
  await receipts.flush();
  assert.equal(support.calls.length, 4);
});

test('a request support does not answer is counted and dropped; recording never throws', async () => {
  const support = standIn(true);
  const metrics = new Registry();
  const receipts = deliveryReceipts({
    support,
    clock: () => now,
    logger: silentLogger(),
    metrics,
  });
  receipts.record(id(1), responder);
  receipts.record(id(2), responder);
  await receipts.flush();
  assert.equal(support.calls.length, 1);
  assert.deepEqual(await outcomes(metrics), { failed: 2 });
});

test("an incident's receipts wait for its request in flight, then go in one", async () => {
  const calls: RecordDeliveriesRequest[] = [];
  const held: (() => void)[] = [];
  const support = {
    async recordDeliveries(req: MessageInitShape<typeof RecordDeliveriesRequestSchema>) {
      calls.push(create(RecordDeliveriesRequestSchema, req));
      await new Promise<void>((resolve) => held.push(resolve));
      return create(RecordDeliveriesResponseSchema);
    },
  };
  const receipts = deliveryReceipts({
    support,
    clock: () => now,
    logger: silentLogger(),
    metrics: new Registry(),
  });
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  const sent = () => calls.map((c) => c.deliveries.map((d) => `${d.incidentId}/${d.userId}`));
  const sos = id(1);
  const other = id(2);
  const member = (n: number) => id(0x100 + n);

  receipts.record(sos, member(1));
  await turn();
  // The other members of the SOS acknowledge over the next turns, and someone alerted by
  // another incident.
  for (let n = 2; n <= 5; n += 1) {
    receipts.record(sos, member(n));
    await turn();
  }
  receipts.record(other, member(9));
  await turn();
  assert.deepEqual(sent(), [[`${sos}/${member(1)}`], [`${other}/${member(9)}`]]);

  held.shift()!();
  await waitFor(() => calls.length === 3);
  assert.deepEqual(
    sent()[2],
    [2, 3, 4, 5].map((n) => `${sos}/${member(n)}`),
  );

  // flush() waits for what is in flight and sends what was waiting on it.
  receipts.record(sos, member(6));
  const flushed = receipts.flush();
  while (calls.length < 4 || held.length > 0) {
    for (const answer of held.splice(0)) answer();
    await turn();
  }
  await flushed;
  assert.deepEqual(sent()[3], [`${sos}/${member(6)}`]);
});
