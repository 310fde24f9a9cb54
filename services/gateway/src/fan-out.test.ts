import assert from 'node:assert/strict';
import { test } from 'vitest';
import { toBinary } from '@bufbuild/protobuf';
import { create } from '@bufbuild/protobuf';
import type { Bus } from '@kith/bus';
import { ServerFrameSchema } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import { waitFor } from '@kith/testkit';
import { Registry } from 'prom-client';
import { FanOut } from './fan-out.js';
import type { LiveFrame } from './fan-out.js';
import { liveBus, silentLogger } from './test-harness.js';

// Two gateway replicas share the bus. A frame one of them stored reaches its own sockets when
// it is published, without waiting for the broker to send it back; the other replica gets it
// through the bus; the publisher's copy coming back from the bus is not delivered twice.

const frameBytes = (seq: bigint) =>
  toBinary(ServerFrameSchema, create(ServerFrameSchema, { seq, topic: 'user', type: 'account' }));

test("a replica's own frame reaches its sockets at once, the others through the bus, once each", async () => {
  const bus = await liveBus();
  // Live publications are held, as if on their way through the broker, until released.
  const inTransit: [string, Uint8Array][] = [];
  const holding: Pick<Bus, 'subscribeLive' | 'publishLive'> = {
    subscribeLive: (subject, callback, options) => bus.subscribeLive(subject, callback, options),
    publishLive: (subject, data) => void inTransit.push([subject, data]),
  };
  const release = () => {
    for (const [subject, data] of inTransit.splice(0)) bus.publishLive(subject, data);
  };
  const a = new FanOut(holding, silentLogger(), new Registry());
  const b = new FanOut(holding, silentLogger(), new Registry());
  const key = `user:${crypto.randomUUID()}`;
  const got = { a: [] as bigint[], b: [] as bigint[] };
  const listener = (into: bigint[]) => ({ deliver: (f: LiveFrame) => void into.push(f.seq) });
  const onA = listener(got.a);
  const onB = listener(got.b);
  a.add(key, onA);
  b.add(key, onB);

  a.publish(key, frameBytes(1n));
  assert.deepEqual(got, { a: [1n], b: [] });
  release();
  await waitFor(() => got.b.length === 1);

  // B's frame comes to A through the bus; A's echo of its own never comes through.
  b.publish(key, frameBytes(2n));
  assert.deepEqual(got, { a: [1n], b: [1n, 2n] });
  release();
  await waitFor(() => got.a.length === 2);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(got, { a: [1n, 2n], b: [1n, 2n] });

  // A replica holding no socket on the topic only publishes.
  a.remove(key, onA);
  a.publish(key, frameBytes(3n));
  release();
  await waitFor(() => got.b.length === 3);
  assert.deepEqual(got.a, [1n, 2n]);
  b.remove(key, onB);
});
