import assert from 'node:assert/strict';
import { test } from 'vitest';
import { fromBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { createMemoryTopicLog, encodeEvent } from '@kith/bus';
import type { EnvelopeInit } from '@kith/bus';
import { AccountChange, ServerFrameSchema } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import { waitFor } from '@kith/testkit';
import { Registry } from 'prom-client';
import { uuidv7 } from 'uuidv7';
import { startFrameStore } from './frame-store.js';
import { liveSubjectOf } from './routing/topics.js';
import { liveBus, silentLogger } from './test-harness.js';

const DAY = 24 * 3600_000;

/** The frame store on the embedded mode's real local bus, with a fresh memory log. */
async function frameStore(t: { onTestFinished(fn: () => Promise<void>): void }) {
  const bus = await liveBus();
  const log = createMemoryTopicLog();
  const live: Uint8Array[] = [];
  const userId = uuidv7();
  const listening = bus.subscribeLive(liveSubjectOf(`user.${userId}`), (m) => live.push(m.data));
  const sub = await startFrameStore({
    bus,
    log,
    logger: silentLogger(),
    metrics: new Registry(),
    maxAgeMs: DAY,
    clock: () => new Date(),
  });
  t.onTestFinished(async () => {
    listening.unsubscribe();
    await sub.stop();
  });
  const publish = (version: bigint, opts: { id?: string; occurredAt?: Date } = {}) => {
    const id = opts.id ?? uuidv7();
    const envelope: EnvelopeInit = {
      id,
      type: 'user.profile_updated',
      occurredAt: timestampFromDate(opts.occurredAt ?? new Date()),
      actor: { kind: { case: 'userId', value: userId } },
      schemaVersion: 1,
      source: 'user',
      payload: { case: 'userProfileUpdated', value: { userId, username: 'ana', version } },
    };
    return bus
      .publish(
        {
          id,
          subject: 'kith.events.user.profile_updated',
          data: encodeEvent(envelope),
          headers: {},
        },
        // A redelivery under a fresh broker key, as a replayed dead letter would be.
        { dedupKey: uuidv7() },
      )
      .then(() => id);
  };
  return { bus, log, live, userId, publish, key: `user.${userId}` };
}

test('each bus event is numbered once per topic in the log and published live as stored', async (t) => {
  const s = await frameStore(t);
  const first = await s.publish(1n);
  await s.publish(2n);
  // The same event again (a redelivery): no second number.
  await s.publish(1n, { id: first });
  await s.publish(3n);
  await waitFor(async () => (await s.log.head(s.key)) >= 3n && s.live.length >= 3);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const { head, records } = await s.log.read(s.key, 0n);
  assert.equal(head, 3n);
  const frames = records.map((r) => fromBinary(ServerFrameSchema, r.data));
  assert.deepEqual(
    frames.map((f) => [f.seq, f.topic, f.payload.case === 'account' && f.payload.value.version]),
    [
      [1n, 'user', 1n],
      [2n, 'user', 2n],
      [3n, 'user', 3n],
    ],
  );
  assert.equal(
    frames[0]!.payload.case === 'account' && frames[0]!.payload.value.change,
    AccountChange.PROFILE_UPDATED,
  );
  // Live: exactly the stored bytes, once each.
  assert.deepEqual(
    s.live,
    records.map((r) => r.data),
  );
});

test('an event older than the replay window makes no frame', async (t) => {
  const s = await frameStore(t);
  await s.publish(1n, { occurredAt: new Date(Date.now() - 2 * DAY) });
  await s.publish(2n);
  await waitFor(async () => (await s.log.head(s.key)) >= 1n);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const { records } = await s.log.read(s.key, 0n);
  assert.deepEqual(
    records.map((r) => {
      const f = fromBinary(ServerFrameSchema, r.data);
      return f.payload.case === 'account' ? f.payload.value.version : -1n;
    }),
    [2n],
  );
});

test('an erased user’s own topics are purged from the log', async (t) => {
  const s = await frameStore(t);
  await s.publish(1n);
  await waitFor(async () => (await s.log.head(s.key)) === 1n);
  const id = uuidv7();
  await s.bus.publish({
    id,
    subject: 'kith.events.user.erased',
    data: encodeEvent({
      id,
      type: 'user.erased',
      occurredAt: timestampFromDate(new Date()),
      actor: { kind: { case: 'system', value: true } },
      schemaVersion: 1,
      source: 'user',
      payload: { case: 'userErased', value: { userId: s.userId } },
    }),
    headers: {},
  });
  await waitFor(async () => (await s.log.head(s.key)) === 0n);
  assert.deepEqual(await s.log.read(s.key, 0n), { head: 0n, records: [] });
});

test('an event’s two frames on one topic are both numbered, once, however often it comes', async (t) => {
  const s = await frameStore(t);
  const parentId = uuidv7();
  const key = `post.${parentId}`;
  const id = uuidv7();
  const envelope: EnvelopeInit = {
    id,
    type: 'post.comment_created',
    occurredAt: timestampFromDate(new Date()),
    actor: { kind: { case: 'userId', value: s.userId } },
    schemaVersion: 1,
    source: 'post',
    payload: {
      case: 'postCommentCreated',
      value: {
        postId: uuidv7(),
        authorId: s.userId,
        parentPostId: parentId,
        rootPostId: parentId,
        version: 1n,
        parentReplyCount: 1,
        parentVersion: 2n,
      },
    },
  };
  const message = { id, subject: 'kith.events.post.comment_created', data: encodeEvent(envelope) };
  await s.bus.publish({ ...message, headers: {} }, { dedupKey: uuidv7() });
  await waitFor(async () => (await s.log.head(key)) === 2n);
  // Redelivered (a replayed dead letter): no third number.
  await s.bus.publish({ ...message, headers: {} }, { dedupKey: uuidv7() });
  await s.publish(1n);
  await waitFor(async () => (await s.log.head(s.key)) === 1n);
  const { head, records } = await s.log.read(key, 0n);
  assert.equal(head, 2n);
  assert.deepEqual(
    records.map((r) => {
      const f = fromBinary(ServerFrameSchema, r.data);
      return [f.seq, f.type];
    }),
    [
      [1n, 'post'],
      [2n, 'post_counts'],
    ],
  );
});
