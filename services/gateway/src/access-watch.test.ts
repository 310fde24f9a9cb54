import assert from 'node:assert/strict';
import { test } from 'vitest';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { encodeEvent } from '@kith/bus';
import type { EnvelopeInit } from '@kith/bus';
import { PostAudience_Kind } from '@kith/gen/kith/events/v1/post_events_pb.js';
import { eventType } from '@kith/runtime';
import { waitFor } from '@kith/testkit';
import { uuidv7 } from 'uuidv7';
import { watchAccess } from './access-watch.js';
import type { Recheck } from './routing/access-changes.js';
import { liveBus, silentLogger } from './test-harness.js';

type Payload = EnvelopeInit['payload'];

async function publish(payload: NonNullable<Payload>): Promise<void> {
  const bus = await liveBus();
  const id = uuidv7();
  const type = eventType(payload.case!);
  const envelope: EnvelopeInit = {
    id,
    type,
    occurredAt: timestampFromDate(new Date()),
    actor: { kind: { case: 'system', value: true } },
    schemaVersion: 1,
    source: type.split('.')[0]!,
    payload,
  };
  await bus.publish({
    id,
    subject: `kith.events.${type}`,
    data: encodeEvent(envelope),
    headers: {},
  });
}

test('the events that may end a post topic have it authorised again: lagging ones more than once', async (t) => {
  const seen: { at: number; check: Recheck }[] = [];
  const started = Date.now();
  const watch = watchAccess({
    bus: await liveBus(),
    recheck: (check) => seen.push({ at: Date.now() - started, check }),
    logger: silentLogger(),
    laggingRechecksMs: [0, 300],
  });
  t.onTestFinished(() => watch.stop());
  const [ana, bo, postId] = [uuidv7(), uuidv7(), uuidv7()];

  await publish({ case: 'userBlocked', value: { blockerId: ana, blockedId: bo, version: 1n } });
  const blocked = [
    { of: 'user', userId: ana, kind: 'post' },
    { of: 'user', userId: bo, kind: 'post' },
  ];
  await waitFor(() => seen.length === 2);
  assert.deepEqual(
    seen.map((s) => s.check),
    blocked,
  );
  // Asked again once post's projection has had time to apply the block.
  await waitFor(() => seen.length === 4);
  assert.deepEqual(
    seen.slice(2).map((s) => s.check),
    blocked,
  );
  assert.ok(seen[2]!.at - seen[0]!.at >= 250, `asked again after ${seen[2]!.at - seen[0]!.at} ms`);

  // A narrowing edit is post's own commit: asked once. An edit that keeps the audience: never.
  const edited = (audience: PostAudience_Kind, previous: PostAudience_Kind) =>
    publish({
      case: 'postEdited',
      value: {
        postId,
        authorId: ana,
        revision: 2,
        audience: { kind: audience },
        previousAudience: { kind: previous },
        version: 2n,
      },
    });
  await edited(PostAudience_Kind.PUBLIC, PostAudience_Kind.PUBLIC);
  await edited(PostAudience_Kind.FOLLOWERS, PostAudience_Kind.PUBLIC);
  await waitFor(() => seen.length === 5);
  await new Promise((resolve) => setTimeout(resolve, 400));
  assert.deepEqual(
    seen.slice(4).map((s) => s.check),
    [{ of: 'topic', key: `post.${postId}` }],
  );

  // Stopped: pending re-checks are dropped, and nothing more is asked.
  await publish({ case: 'userUnfollowed', value: { followerId: bo, followeeId: ana } });
  await waitFor(() => seen.length === 6);
  watch.stop();
  await publish({ case: 'userBlocked', value: { blockerId: bo, blockedId: ana, version: 2n } });
  await new Promise((resolve) => setTimeout(resolve, 400));
  assert.equal(seen.length, 6);
});
