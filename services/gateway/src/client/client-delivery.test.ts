import assert from 'node:assert/strict';
import { test } from 'vitest';
import type { TestContext } from 'vitest';
import type { ServerFrame } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import { alice, GOOD_TOKEN, startGateway, storeAccountFrame } from '../test-harness.js';
import type { Harness } from '../test-harness.js';
import { waitFor } from '@kith/testkit';
import { createRealtimeClient } from '@kith/realtime-client';
import type { RealtimeClientOptions } from '@kith/realtime-client';

// Event delivery against the gateway's subscriptions and replay: frames are stored the way the
// gateway's frame store does it (numbered in the topic log, then published live).

function start(t: TestContext, url: RealtimeClientOptions['url']) {
  const frames: ServerFrame[] = [];
  let hellos = 0;
  const client = createRealtimeClient({
    url,
    token: () => GOOD_TOKEN,
    random: () => 0,
    minDelayMs: 10,
    onHello: () => (hellos += 1),
    onFrame: (frame) => void frames.push(frame),
  });
  t.onTestFinished(() => client.close());
  const seqs = () => frames.map((frame) => frame.seq);
  const received = (n: number) =>
    waitFor(() => frames.length >= n, { timeoutMs: 5_000, intervalMs: 5, what: `${n} frames` });
  const opened = (n: number) =>
    waitFor(() => hellos >= n, { timeoutMs: 5_000, intervalMs: 5, what: `hello ${n}` });
  return { client, seqs, received, opened };
}

/** Stored in the log but never published live: a frame this socket missed. */
function lostLive(h: Harness): Pick<Harness, 'log' | 'bus'> {
  return {
    log: h.log,
    bus: Object.assign(Object.create(h.bus) as Harness['bus'], { publishLive() {} }),
  };
}

test('delivers the frames of a subscribed topic after its head, in order', async (t) => {
  const h = await startGateway(t);
  await storeAccountFrame(h, alice.userId, 1n);
  const { client, seqs, received } = start(t, `${h.url}/ws`);
  const subscribed = await client.subscribe('user');
  assert.deepEqual(
    subscribed.heads.map(({ topic, seq }) => [topic, seq]),
    [['user', 1n]],
  );
  await storeAccountFrame(h, alice.userId, 2n);
  await storeAccountFrame(h, alice.userId, 3n);
  await received(2);
  assert.deepEqual(seqs(), [2n, 3n]);
});

test('a frame missed on a live socket is fetched with Resume when the next one shows the hole', async (t) => {
  const h = await startGateway(t);
  const { client, seqs, received } = start(t, `${h.url}/ws`);
  await client.subscribe('user');
  await storeAccountFrame(h, alice.userId, 1n);
  await received(1);
  await storeAccountFrame(lostLive(h), alice.userId, 2n);
  await storeAccountFrame(h, alice.userId, 3n);
  await received(3);
  assert.deepEqual(seqs(), [1n, 2n, 3n]);
});

test('after a reconnect, Resume replays what was missed, then live frames follow', async (t) => {
  const first = await startGateway(t);
  // A second replica on the same topic log (the shared replay store).
  const second = await startGateway(t, { log: first.log });
  let url = `${first.url}/ws`;
  const { client, seqs, received, opened } = start(t, () => url);
  await client.subscribe('user');
  await storeAccountFrame(first, alice.userId, 1n);
  await received(1);
  url = `${second.url}/ws`;
  await first.gateway.close();
  await storeAccountFrame(second, alice.userId, 2n);
  await storeAccountFrame(second, alice.userId, 3n);
  await opened(2);
  await storeAccountFrame(second, alice.userId, 4n);
  await received(4);
  assert.deepEqual(seqs(), [1n, 2n, 3n, 4n]);
  assert.deepEqual(client.topics, ['user']);
});
