import assert from 'node:assert/strict';
import { test } from 'vitest';
import { createMemoryTopicLog } from '@kith/bus';
import { create, toBinary } from '@bufbuild/protobuf';
import {
  ClientFrameSchema,
  ErrorCode,
  GapReason,
  PostChange,
  UnsubscribeReason,
} from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { ServerFrame } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import { waitFor } from '@kith/testkit';
import { circleTopic, postTopic } from './routing/topics.js';
import {
  alice,
  connect,
  GOOD_TOKEN,
  startGateway,
  storeAccountFrame,
  storeFrame,
} from './test-harness.js';
import type { Harness, TestClient } from './test-harness.js';
import type { TopicAccess } from './topic-access.js';

const bearer = { headers: { authorization: `Bearer ${GOOD_TOKEN}` } };
const circleId = (n: number) => `01900000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;

/** A connected client past its Hello. */
async function ready(t: Parameters<typeof connect>[0], h: Harness) {
  const client = await connect(t, `${h.url}/ws`, [], bearer);
  assert.equal((await client.frame(1)).type, 'hello');
  return client;
}

function send(client: TestClient, frame: object): void {
  client.ws.send(JSON.stringify(frame));
}

/** The event frames a client got on a topic, as [seq, version]. */
function events(client: TestClient, topic = 'user'): [bigint, bigint][] {
  return client.frames
    .filter((f) => f.seq > 0n && f.topic === topic)
    .map((f) => [f.seq, f.payload.case === 'account' ? f.payload.value.version : -1n]);
}

function only<C extends NonNullable<ServerFrame['payload']['case']>>(
  frames: ServerFrame[],
  kind: C,
) {
  return frames.flatMap((f) =>
    f.payload.case === kind
      ? [f.payload.value as Extract<ServerFrame['payload'], { case: C }>['value']]
      : [],
  );
}

async function store(h: Harness, count: number, from = 1): Promise<void> {
  for (let i = 0; i < count; i += 1) await storeAccountFrame(h, alice.userId, BigInt(from + i));
}

test('Subscribe answers the head, then only the frames stored after it, in order', async (t) => {
  const h = await startGateway(t);
  await store(h, 2);
  const client = await ready(t, h);
  send(client, { requestId: 4, subscribe: { topic: 'user' } });
  const subscribed = await client.frame(2);
  assert.equal(subscribed.type, 'subscribed');
  const value = only([subscribed], 'subscribed')[0]!;
  assert.equal(value.requestId, 4);
  assert.deepEqual(
    value.heads.map((c) => [c.topic, c.seq]),
    [['user', 2n]],
  );
  await store(h, 3, 3);
  await client.frame(5);
  assert.deepEqual(events(client), [
    [3n, 3n],
    [4n, 4n],
    [5n, 5n],
  ]);
  const third = client.frames[2]!;
  assert.equal(third.type, 'account');
  assert.equal(third.topic, 'user');
  assert.ok(third.occurredAt);

  // Subscribing again is a no-op answered with where the socket is.
  send(client, { requestId: 5, subscribe: { topic: 'user' } });
  const again = only([await client.frame(6)], 'subscribed')[0]!;
  assert.deepEqual(
    again.heads.map((c) => c.seq),
    [5n],
  );
  await store(h, 1, 6);
  await client.frame(7);
  assert.equal(events(client).length, 4);
  const sent = await h.metrics.getSingleMetric('kith_gateway_frames_out_total')?.get();
  assert.equal(sent?.values[0]?.value, 4);
  const held = await h.metrics.getSingleMetric('kith_gateway_subscriptions')?.get();
  assert.equal(held?.values[0]?.value, 1);
});

test('a binary socket receives the stored bytes themselves (encoded once, not per socket)', async (t) => {
  const h = await startGateway(t);
  const client = await connect(t, `${h.url}/ws`, ['kith.v1.proto', `bearer.${GOOD_TOKEN}`]);
  await client.frame(1);
  const raw: Buffer[] = [];
  client.ws.on('message', (data: Buffer) => raw.push(data));
  const subscribe = create(ClientFrameSchema, {
    frame: { case: 'subscribe', value: { topic: 'user' } },
  });
  client.ws.send(toBinary(ClientFrameSchema, subscribe), { binary: true });
  await client.frame(2);
  await store(h, 1);
  await client.frame(3);
  const stored = await h.log.read(`user.${alice.userId}`, 0n);
  assert.deepEqual(new Uint8Array(raw.at(-1)!), stored.records[0]!.data);
});

test('Resume on a new socket replays exactly the frames missed, in order, then live ones', async (t) => {
  const h = await startGateway(t);
  const first = await ready(t, h);
  send(first, { subscribe: { topic: 'user' } });
  await first.frame(2);
  await store(h, 2);
  await first.frame(4);
  first.ws.terminate();
  await first.closed;

  await store(h, 100, 3);
  const second = await ready(t, h);
  send(second, { requestId: 9, resume: { cursors: [{ topic: 'user', seq: '2' }] } });
  const subscribed = only([await second.frame(2)], 'subscribed')[0]!;
  assert.equal(subscribed.requestId, 9);
  assert.deepEqual(
    subscribed.heads.map((c) => [c.topic, c.seq]),
    [['user', 102n]],
  );
  await second.frame(102);
  await store(h, 1, 103);
  await second.frame(103);
  const got = events(second);
  assert.equal(got.length, 101);
  assert.deepEqual(
    got.map(([seq]) => seq),
    Array.from({ length: 101 }, (_, i) => BigInt(i + 3)),
  );
  assert.equal(only(second.frames, 'gap').length, 0);
});

test('Resume past the window gets one Gap for what is gone, then what is still held', async (t) => {
  const h = await startGateway(t, { log: createMemoryTopicLog({ maxRecords: 5 }) });
  await store(h, 10);
  const client = await ready(t, h);
  send(client, { resume: { cursors: [{ topic: 'user', seq: '1' }] } });
  await client.frame(2 + 1 + 5);
  const gaps = only(client.frames, 'gap');
  assert.deepEqual(
    gaps.map((g) => [g.topic, g.fromSeq, g.toSeq, g.reason]),
    [['user', 2n, 5n, GapReason.REPLAY_WINDOW_EXCEEDED]],
  );
  // The Gap comes before the replayed frames, and has seq 0.
  const gapAt = client.frames.findIndex((f) => f.type === 'gap');
  assert.equal(client.frames[gapAt]!.seq, 0n);
  assert.ok(gapAt < client.frames.findIndex((f) => f.seq > 0n));
  assert.deepEqual(
    events(client).map(([seq]) => seq),
    [6n, 7n, 8n, 9n, 10n],
  );
});

test('a cursor ahead of the head (the store lost the topic) gets a CURSOR_AHEAD Gap', async (t) => {
  const h = await startGateway(t);
  await store(h, 3);
  const client = await ready(t, h);
  send(client, { resume: { cursors: [{ topic: 'user', seq: '50' }] } });
  await client.frame(3);
  assert.deepEqual(
    only(client.frames, 'gap').map((g) => [g.fromSeq, g.toSeq, g.reason]),
    [[1n, 3n, GapReason.CURSOR_AHEAD]],
  );
  await store(h, 1, 4);
  await client.frame(4);
  assert.deepEqual(events(client), [[4n, 4n]]);
});

test('Unsubscribe stops delivery and is confirmed, also for a topic not held', async (t) => {
  const h = await startGateway(t);
  const client = await ready(t, h);
  send(client, { subscribe: { topic: 'user' } });
  await client.frame(2);
  send(client, { requestId: 3, unsubscribe: { topic: 'user' } });
  const unsubscribed = only([await client.frame(3)], 'unsubscribed')[0]!;
  assert.deepEqual(unsubscribed.topics, ['user']);
  assert.equal(unsubscribed.reason, UnsubscribeReason.REQUESTED);
  assert.equal(unsubscribed.requestId, 3);
  await store(h, 2);
  send(client, { requestId: 4, unsubscribe: { topic: 'notifications' } });
  await client.frame(4);
  assert.equal(client.frames.length, 4);
  assert.equal(events(client).length, 0);
});

test('a refused topic answers FORBIDDEN_TOPIC naming it, and the socket carries on', async (t) => {
  const h = await startGateway(t, {
    access: { allows: async (topic) => topic.kind !== 'circle', stillAllows: () => true },
  });
  const client = await ready(t, h);
  send(client, { requestId: 2, subscribe: { topic: `circle:${circleId(1)}` } });
  const error = only([await client.frame(2)], 'error')[0]!;
  assert.equal(error.code, ErrorCode.FORBIDDEN_TOPIC);
  assert.equal(error.topic, `circle:${circleId(1)}`);
  assert.equal(error.requestId, 2);
  // Resume grants what it may and refuses the rest, per topic.
  send(client, {
    requestId: 3,
    resume: {
      cursors: [
        { topic: `circle:${circleId(2)}`, seq: '0' },
        { topic: 'user', seq: '0' },
      ],
    },
  });
  await client.frame(4);
  assert.deepEqual(
    client.frames.slice(2).map((f) => f.type),
    ['error', 'subscribed'],
  );
  await store(h, 1);
  await client.frame(5);
  assert.deepEqual(events(client), [[1n, 1n]]);
});

test('at most 100 topics per socket; an unanswerable access check is UNAVAILABLE', async (t) => {
  let down = false;
  const access: TopicAccess = {
    allows: async () => {
      if (down) throw new Error('circle service unreachable');
      return true;
    },
    stillAllows: () => true,
  };
  const h = await startGateway(t, { access });
  const client = await ready(t, h);
  for (let n = 1; n <= 101; n += 1) {
    send(client, { requestId: n, subscribe: { topic: `circle:${circleId(n)}` } });
  }
  await client.frame(102);
  const errors = only(client.frames, 'error');
  assert.deepEqual(
    errors.map((e) => [e.code, e.requestId]),
    [[ErrorCode.TOO_MANY_TOPICS, 101]],
  );
  assert.equal(only(client.frames, 'subscribed').length, 100);
  down = true;
  send(client, { requestId: 200, unsubscribe: { topic: `circle:${circleId(1)}` } });
  send(client, { requestId: 201, subscribe: { topic: `circle:${circleId(1)}` } });
  await client.frame(104);
  assert.deepEqual(
    only(client.frames.slice(102), 'error').map((e) => [e.code, e.requestId]),
    [[ErrorCode.UNAVAILABLE, 201]],
  );
});

test('a live frame the socket may no longer see ends the topic with ACCESS_LOST', async (t) => {
  let member = true;
  const h = await startGateway(t, {
    access: { allows: async () => true, stillAllows: () => member },
  });
  const client = await ready(t, h);
  send(client, { subscribe: { topic: 'user' } });
  await client.frame(2);
  await store(h, 1);
  await client.frame(3);
  member = false;
  await store(h, 1, 2);
  const lost = only([await client.frame(4)], 'unsubscribed')[0]!;
  assert.equal(lost.reason, UnsubscribeReason.ACCESS_LOST);
  assert.deepEqual(lost.topics, ['user']);
  await store(h, 1, 3);
  await waitFor(async () => (await h.log.head(`user.${alice.userId}`)) === 3n);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(events(client), [[1n, 1n]]);
});

test('a socket asking too much gets RATE_LIMITED and carries on once it slows down', async (t) => {
  const h = await startGateway(t, {
    access: { allows: async () => true, stillAllows: () => true },
  });
  const client = await ready(t, h);
  // A Resume costs one per cursor: two of 100 topics take the whole burst of 200.
  const cursors = Array.from({ length: 100 }, (_, i) => ({
    topic: `circle:${circleId(i + 1)}`,
    seq: '0',
  }));
  send(client, { requestId: 1, resume: { cursors } });
  send(client, { requestId: 2, resume: { cursors } });
  send(client, { requestId: 3, resume: { cursors } });
  await waitFor(
    () =>
      only(client.frames, 'error').some((e) => e.requestId === 3) &&
      only(client.frames, 'subscribed').length === 2,
  );
  const limited = only(client.frames, 'error').filter((e) => e.code === ErrorCode.RATE_LIMITED);
  assert.deepEqual(
    limited.map((e) => e.requestId),
    [3],
  );
  assert.deepEqual(
    only(client.frames, 'subscribed').map((s) => [s.requestId, s.heads.length]),
    [
      [1, 100],
      [2, 100],
    ],
  );
  assert.equal(client.ws.readyState, client.ws.OPEN);
  await new Promise((resolve) => setTimeout(resolve, 200));
  send(client, { requestId: 5, unsubscribe: { topic: `circle:${circleId(1)}` } });
  await waitFor(() => only(client.frames, 'unsubscribed').some((u) => u.requestId === 5));
});

/** A like count on a post's topic, as the frame store stores it. */
function storeLikes(h: Harness, postId: string, likeCount: number): Promise<bigint> {
  return storeFrame(h, postTopic(postId), {
    case: 'postCounts',
    value: { postId, likeCount, version: BigInt(likeCount) },
  });
}

const likes = (client: TestClient, postId: string) =>
  client.frames.flatMap((f) =>
    f.topic === `post:${postId}` && f.payload.case === 'postCounts'
      ? [f.payload.value.likeCount]
      : [],
  );

test('a re-check holds the topic’s live frames until answered: then they follow, or the topic ends', async (t) => {
  const postId = circleId(0xd1);
  const asked: ((allowed: boolean | Error) => void)[] = [];
  const h = await startGateway(t, {
    access: {
      allows: (topic) =>
        topic.kind !== 'post'
          ? Promise.resolve(true)
          : new Promise((resolve, reject) =>
              asked.push((answer) => (answer instanceof Error ? reject(answer) : resolve(answer))),
            ),
      stillAllows: () => true,
    },
  });
  const client = await ready(t, h);
  send(client, { requestId: 1, subscribe: { topic: `post:${postId}` } });
  await waitFor(() => asked.length === 1);
  asked[0]!(true);
  assert.equal((await client.frame(2)).type, 'subscribed');
  await storeLikes(h, postId, 1);
  await client.frame(3);

  // Another user's change, or another topic's, asks nothing here.
  h.gateway.recheck({ of: 'user', userId: circleId(0xb0), kind: 'post' });
  h.gateway.recheck({ of: 'topic', key: `post.${circleId(0xd2)}` });
  h.gateway.recheck({ of: 'user', userId: alice.userId, kind: 'post' });
  assert.equal(asked.length, 2);
  await storeLikes(h, postId, 2);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(likes(client, postId), [1]);
  asked[1]!(true);
  await client.frame(4);
  assert.deepEqual(likes(client, postId), [1, 2]);

  h.gateway.recheck({ of: 'topic', key: `post.${postId}` });
  await storeLikes(h, postId, 3);
  await new Promise((resolve) => setTimeout(resolve, 100));
  asked[2]!(false);
  const lost = only([await client.frame(5)], 'unsubscribed')[0]!;
  assert.deepEqual([lost.topics, lost.reason], [[`post:${postId}`], UnsubscribeReason.ACCESS_LOST]);
  await storeLikes(h, postId, 4);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(likes(client, postId), [1, 2]);
  assert.equal(client.frames.length, 5);
  const held = await h.metrics.getSingleMetric('kith_gateway_subscriptions')?.get();
  assert.equal(held?.values[0]?.value, 0);

  // A re-check the post service cannot answer fails closed.
  send(client, { requestId: 2, subscribe: { topic: `post:${postId}` } });
  await waitFor(() => asked.length === 4);
  asked[3]!(true);
  await client.frame(6);
  h.gateway.recheck({ of: 'kind', kind: 'post' });
  asked[4]!(new Error('post service unreachable'));
  const failed = only([await client.frame(7)], 'unsubscribed')[0]!;
  assert.equal(failed.reason, UnsubscribeReason.ACCESS_LOST);
});

test('a deleted post’s DELETED frame is the last of its topic; a circle topic carries on', async (t) => {
  const postId = circleId(0xd1);
  const circle = circleId(0xc1);
  const h = await startGateway(t, {
    access: { allows: async () => true, stillAllows: () => true },
  });
  const client = await ready(t, h);
  send(client, { subscribe: { topic: `post:${postId}` } });
  send(client, { subscribe: { topic: `circle:${circle}` } });
  await client.frame(3);
  const deleted = { postId, change: PostChange.DELETED, version: 3n };
  await storeFrame(h, circleTopic(circle), { case: 'post', value: deleted });
  await storeFrame(h, postTopic(postId), { case: 'post', value: deleted });
  await client.frame(6);
  assert.deepEqual(
    client.frames.slice(3).map((f) => [f.type, f.topic]),
    [
      ['post', `circle:${circle}`],
      ['post', `post:${postId}`],
      ['unsubscribed', `post:${postId}`],
    ],
  );
  const ended = only(client.frames, 'unsubscribed')[0]!;
  assert.deepEqual(
    [ended.topics, ended.reason],
    [[`post:${postId}`], UnsubscribeReason.ACCESS_LOST],
  );
  await storeFrame(h, circleTopic(circle), { case: 'post', value: { ...deleted, version: 4n } });
  await client.frame(7);
  assert.equal(client.frames[6]!.topic, `circle:${circle}`);
});
