import assert from 'node:assert/strict';
import { test } from 'vitest';
import { create } from '@bufbuild/protobuf';
import {
  ClientFrameSchema,
  ErrorCode,
  ErrorSchema,
  GapReason,
  GapSchema,
  ServerFrameSchema,
  SubscribedSchema,
  UnsubscribedSchema,
  UnsubscribeReason,
} from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { ClientFrame, Gap, Unsubscribed } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import { RealtimeError } from './errors.js';
import { Subscriptions } from './subscriptions.js';

// The gateway does not serve Subscribe or Resume yet, so the answers are built here from the
// proto; the socket side is covered by client.test.ts against the real gateway.

/** For subscribe() calls whose outcome a test does not look at. */
const ignore = () => {};

const circle = (n: number) => `circle:01900000-0000-7000-8000-${String(n).padStart(12, '0')}`;

function setup() {
  const sent: ClientFrame[] = [];
  const later: { run: () => void; ms: number }[] = [];
  const gaps: Gap[] = [];
  const ended: Unsubscribed[] = [];
  const io = { open: true };
  let lastId = 0;
  const subscriptions = new Subscriptions({
    send(frame) {
      if (!io.open) return false;
      sent.push(create(ClientFrameSchema, frame));
      return true;
    },
    nextRequestId: () => ++lastId,
    later: (run, ms) => later.push({ run, ms }),
    retryDelay: (attempt) => 100 * 2 ** attempt,
    onGap: (gap) => gaps.push(gap),
    onUnsubscribed: (frame) => ended.push(frame),
  });
  return { subscriptions, sent, later, gaps, ended, io };
}

function event(topic: string, seq: bigint, ackRequired = false) {
  return create(ServerFrameSchema, {
    v: 1,
    seq,
    topic,
    type: 'account',
    ackRequired,
    payload: { case: 'account', value: {} },
  });
}

function subscribed(requestId: number, heads: [string, bigint][]) {
  return create(SubscribedSchema, {
    requestId,
    heads: heads.map(([topic, seq]) => ({ topic, seq })),
  });
}

function resumeCursors(frame: ClientFrame | undefined) {
  assert.equal(frame?.frame.case, 'resume');
  return frame.frame.value.cursors.map(({ topic, seq }) => [topic, seq]);
}

/** Subscribes to each topic on the open socket and answers its Subscribe with the head. */
function grant({ subscriptions, sent }: ReturnType<typeof setup>, heads: [string, bigint][]) {
  for (const [topic, head] of heads) {
    subscriptions.subscribe(topic).catch(ignore);
    subscriptions.onSubscribed(subscribed(sent.at(-1)!.requestId, [[topic, head]]));
  }
}

/** The socket drops and the next one has sent Hello: returns what restore() sent. */
function reconnect({ subscriptions, sent }: ReturnType<typeof setup>): ClientFrame[] {
  subscriptions.disconnected();
  const before = sent.length;
  subscriptions.restore();
  return sent.slice(before);
}

test('subscribe() sends Subscribe and resolves with the Subscribed of its request id', async () => {
  const { subscriptions, sent } = setup();
  const granted = subscriptions.subscribe('user');
  assert.equal(sent[0]?.frame.case, 'subscribe');
  assert.equal(sent[0]?.frame.value?.topic, 'user');
  const frame = subscribed(sent[0]!.requestId, [['user', 41n]]);
  subscriptions.onSubscribed(frame);
  assert.equal(await granted, frame);
  // Live frames continue after the head: 41 is not a hole's end but the start.
  assert.equal(subscriptions.onEvent(event('user', 41n)), false);
  assert.equal(subscriptions.onEvent(event('user', 42n)), true);
});

test('after Hello topics granted before are resumed from their cursors, 100 per Resume, 0 if none seen', () => {
  const context = setup();
  grant(context, [[circle(0), 7n]]);
  // Granted at head 0 and nothing arrived since: the Resume from 0 replays from seq 1.
  grant(
    context,
    Array.from({ length: 149 }, (_, i): [string, bigint] => [circle(i + 1), 0n]),
  );
  const restored = reconnect(context);
  assert.equal(restored.length, 2);
  assert.equal(resumeCursors(restored[0]).length, 100);
  assert.equal(resumeCursors(restored[1]).length, 50);
  assert.deepEqual(resumeCursors(restored[0])[0], [circle(0), 7n]);
  assert.deepEqual(resumeCursors(restored[0])[1], [circle(1), 0n]);
  // The Resume's Subscribed leaves the cursors where they are, for the replay.
  context.subscriptions.onSubscribed(
    subscribed(restored[0]!.requestId, [
      [circle(0), 9n],
      [circle(1), 2n],
    ]),
  );
  assert.equal(context.subscriptions.onEvent(event(circle(0), 8n)), true);
  assert.equal(context.subscriptions.onEvent(event(circle(1), 1n)), true);
});

test('after Hello a topic never granted is subscribed live (one Subscribe each), not resumed', () => {
  const context = setup();
  const { subscriptions, io } = context;
  grant(context, [['user', 4n]]);
  // Its Subscribe is lost with the socket, unanswered.
  subscriptions.subscribe(circle(1)).catch(ignore);
  io.open = false;
  subscriptions.disconnected();
  subscriptions.subscribe('notifications').catch(ignore);
  io.open = true;
  const restored = reconnect(context);
  assert.deepEqual(
    restored.map(({ frame }) => [frame.case, frame.case === 'subscribe' ? frame.value.topic : '']),
    [
      ['subscribe', circle(1)],
      ['subscribe', 'notifications'],
      ['resume', ''],
    ],
  );
  assert.deepEqual(resumeCursors(restored[2]), [['user', 4n]]);
  // Live only: the head counts as seen and the next frame is the first delivered.
  subscriptions.onSubscribed(subscribed(restored[1]!.requestId, [['notifications', 9n]]));
  assert.equal(subscriptions.onEvent(event('notifications', 9n)), false);
  assert.equal(subscriptions.onEvent(event('notifications', 10n)), true);
});

test('a subscribe() made offline is settled by the Subscribe after the next Hello', async () => {
  const { subscriptions, sent, io } = setup();
  io.open = false;
  const granted = subscriptions.subscribe('notifications');
  io.open = true;
  subscriptions.restore();
  assert.equal(sent[0]?.frame.case, 'subscribe');
  subscriptions.onSubscribed(subscribed(sent[0]!.requestId, [['notifications', 3n]]));
  assert.deepEqual((await granted).heads[0]?.seq, 3n);
});

test('an Error answering a Subscribe rejects with its code and forgets the topic', async () => {
  const { subscriptions, sent } = setup();
  const granted = subscriptions.subscribe(circle(1));
  const error = create(ErrorSchema, {
    requestId: sent[0]!.requestId,
    code: ErrorCode.FORBIDDEN_TOPIC,
    topic: circle(1),
  });
  subscriptions.onError(error);
  await assert.rejects(granted, (e: unknown) => {
    assert.ok(e instanceof RealtimeError);
    assert.equal(e.code, ErrorCode.FORBIDDEN_TOPIC);
    assert.equal(e.frame, error);
    return true;
  });
  assert.deepEqual(subscriptions.cursors.list(), []);
});

test('a Resume refusing one topic rejects only that one; the others are granted', async () => {
  const context = setup();
  const { subscriptions, sent, io } = context;
  grant(context, [
    [circle(1), 0n],
    [circle(2), 0n],
  ]);
  io.open = false;
  subscriptions.disconnected();
  // Asked again while offline: settled by the Subscribe after the next Hello.
  const refused = subscriptions.subscribe(circle(1));
  const granted = subscriptions.subscribe(circle(2));
  io.open = true;
  subscriptions.restore();
  const { requestId } = sent.at(-1)!;
  assert.deepEqual(resumeCursors(sent.at(-1)), [
    [circle(1), 0n],
    [circle(2), 0n],
  ]);
  subscriptions.onError(
    create(ErrorSchema, { requestId, code: ErrorCode.FORBIDDEN_TOPIC, topic: circle(1) }),
  );
  subscriptions.onSubscribed(subscribed(requestId, [[circle(2), 0n]]));
  await assert.rejects(refused, { code: ErrorCode.FORBIDDEN_TOPIC });
  await granted;
  assert.deepEqual(subscriptions.cursors.list(), [circle(2)]);
});

test('a Resume answered UNAVAILABLE is sent again after a backoff delay', () => {
  const context = setup();
  const { subscriptions, sent, later } = context;
  grant(context, [['user', 5n]]);
  const [resume] = reconnect(context);
  assert.deepEqual(resumeCursors(resume), [['user', 5n]]);
  subscriptions.onError(
    create(ErrorSchema, { requestId: resume!.requestId, code: ErrorCode.UNAVAILABLE }),
  );
  assert.equal(sent.at(-1), resume);
  assert.equal(later[0]?.ms, 100);
  later[0]!.run();
  assert.deepEqual(resumeCursors(sent.at(-1)), [['user', 5n]]);
});

test('duplicates are dropped and a hole sends one Resume for that topic from the last seq', () => {
  const { subscriptions, sent } = setup();
  subscriptions.subscribe('user').catch(ignore);
  subscriptions.onSubscribed(subscribed(sent[0]!.requestId, [['user', 0n]]));
  assert.equal(subscriptions.onEvent(event('user', 1n)), true);
  assert.equal(subscriptions.onEvent(event('user', 1n)), false);
  assert.equal(subscriptions.onEvent(event('user', 4n)), false);
  assert.equal(subscriptions.onEvent(event('user', 5n)), false);
  assert.equal(subscriptions.onEvent(event('user', 6n)), false);
  assert.equal(sent.length, 2);
  assert.deepEqual(resumeCursors(sent[1]), [['user', 1n]]);
  // The hole's Resume is answered but its replay leaves the hole: report it, carry on.
  subscriptions.onSubscribed(subscribed(sent[1]!.requestId, [['user', 7n]]));
  assert.equal(subscriptions.onEvent(event('user', 7n)), true);
  assert.equal(sent.length, 2);
});

test('a hole skipped after its Resume is reported as a Gap', () => {
  const { subscriptions, sent, gaps } = setup();
  subscriptions.subscribe('user').catch(ignore);
  subscriptions.onSubscribed(subscribed(sent[0]!.requestId, [['user', 1n]]));
  subscriptions.onEvent(event('user', 4n));
  subscriptions.onSubscribed(subscribed(sent[1]!.requestId, [['user', 4n]]));
  subscriptions.onEvent(event('user', 4n));
  assert.deepEqual(
    gaps.map((gap) => [gap.topic, gap.fromSeq, gap.toSeq]),
    [['user', 2n, 3n]],
  );
});

test('a Gap is reported, then its to_seq counts as seen', () => {
  const { subscriptions, sent, gaps } = setup();
  subscriptions.subscribe('user').catch(ignore);
  subscriptions.onSubscribed(subscribed(sent[0]!.requestId, [['user', 2n]]));
  const gap = create(GapSchema, {
    topic: 'user',
    fromSeq: 3n,
    toSeq: 9n,
    reason: GapReason.REPLAY_WINDOW_EXCEEDED,
  });
  subscriptions.onGap(gap, 'user');
  assert.deepEqual(gaps, [gap]);
  assert.equal(subscriptions.onEvent(event('user', 10n)), true);
  assert.equal(sent.length, 1);
});

test('access lost ends the subscription for good: forgotten, reported, never resumed', () => {
  const context = setup();
  const { subscriptions, ended } = context;
  grant(context, [
    [circle(1), 0n],
    ['user', 0n],
  ]);
  const frame = create(UnsubscribedSchema, {
    topics: [circle(1)],
    reason: UnsubscribeReason.ACCESS_LOST,
  });
  subscriptions.onUnsubscribed(frame);
  assert.deepEqual(ended, [frame]);
  assert.equal(subscriptions.onEvent(event(circle(1), 1n)), false);
  const restored = reconnect(context);
  assert.equal(restored.length, 1);
  assert.deepEqual(resumeCursors(restored[0]), [['user', 0n]]);
});

test('unsubscribe() resolves with its Unsubscribed, or at once without a socket', async () => {
  const { subscriptions, sent, io } = setup();
  subscriptions.subscribe('user').catch(ignore);
  const done = subscriptions.unsubscribe('user');
  assert.equal(sent[1]?.frame.case, 'unsubscribe');
  subscriptions.onUnsubscribed(
    create(UnsubscribedSchema, {
      requestId: sent[1]!.requestId,
      topics: ['user'],
      reason: UnsubscribeReason.REQUESTED,
    }),
  );
  await done;
  io.open = false;
  await subscriptions.unsubscribe('notifications');
  assert.deepEqual(subscriptions.cursors.list(), []);
});

test('close() rejects every subscribe() still waiting', async () => {
  const { subscriptions } = setup();
  const waiting = subscriptions.subscribe('user');
  subscriptions.close(RealtimeError.local('closed'));
  await assert.rejects(waiting, { code: ErrorCode.UNSPECIFIED, message: 'closed' });
});
