import assert from 'node:assert/strict';
import { test } from 'vitest';
import { createMemoryTopicLog } from '@kith/bus';
import { create } from '@bufbuild/protobuf';
import { TopicCursorSchema } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { ServerFrame } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import { waitFor } from '@kith/testkit';
import { Registry } from 'prom-client';
import { FanOut } from './fan-out.js';
import type { LiveFrame } from './fan-out.js';
import { gatewayMetrics } from './metrics.js';
import { alice, liveBus, silentLogger, storeAccountFrame } from './test-harness.js';
import { TopicSubscriptions } from './topic-subscriptions.js';

// A replay sends what a client missed as fast as its socket takes it: while the socket's send
// backlog is high (paced() answers a promise), nothing more is sent, so a client coming back to
// many missed frames is not cut as a slow consumer. The socket's backlog is the one thing
// stood in for here (it needs a client that stops reading and full kernel buffers).

test('a replay waits while the socket is backed up, and stops for good if it closes', async () => {
  const bus = await liveBus();
  const log = createMemoryTopicLog();
  for (let v = 1n; v <= 5n; v += 1n) await storeAccountFrame({ log, bus }, alice.userId, v);

  const sent: bigint[] = [];
  const control: ServerFrame[] = [];
  let backedUp: ((drained: boolean) => void) | undefined;
  let pace: 'free' | 'wait' = 'free';
  const topics = new TopicSubscriptions({
    userId: alice.userId,
    fanOut: new FanOut(bus, silentLogger(), new Registry()),
    log,
    access: { allows: async () => true, stillAllows: () => true },
    metrics: gatewayMetrics(new Registry()),
    control: (frame) => void control.push(frame),
    event: (frame: LiveFrame) => {
      sent.push(frame.seq);
      // After the second frame the socket's backlog is high.
      if (sent.length === 2) pace = 'wait';
    },
    paced: () => (pace === 'free' ? true : new Promise<boolean>((resolve) => (backedUp = resolve))),
  });

  const resuming = topics.resume([create(TopicCursorSchema, { topic: 'user', seq: 0n })], 1);
  await waitFor(() => backedUp !== undefined);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(sent, [1n, 2n]);

  pace = 'free';
  backedUp!(true);
  await resuming;
  assert.deepEqual(sent, [1n, 2n, 3n, 4n, 5n]);
  assert.deepEqual(
    control.map((f) => f.type),
    ['subscribed'],
  );

  // The socket closes during a paused replay: nothing more is sent.
  sent.length = 0;
  backedUp = undefined;
  const again = topics.resume([create(TopicCursorSchema, { topic: 'user', seq: 0n })], 2);
  await waitFor(() => backedUp !== undefined);
  backedUp!(false);
  await again;
  assert.deepEqual(sent, [1n, 2n]);
  topics.close();
});
