import assert from 'node:assert/strict';
import { test } from 'vitest';
import { create } from '@bufbuild/protobuf';
import { AuthorizeTopicsResponseSchema } from '@kith/gen/kith/post/v1/internal_pb.js';
import { postTopics } from './post-topics.js';

const ana = '01900000-0000-7000-8000-0000000000a1';
const bo = '01900000-0000-7000-8000-0000000000b0';
const post = (n: number) => `01900000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;

/** A stand-in for AuthorizeTopics that allows the even-numbered posts and records each call. */
function standIn(fail = false) {
  const calls: { userId: string; ids: string[] }[] = [];
  const allowed = new Set(Array.from({ length: 200 }, (_, i) => post(2 * i)));
  return {
    calls,
    async authorizeTopics(req: { userId?: string; ids?: string[] }) {
      calls.push({ userId: req.userId!, ids: req.ids! });
      if (fail) throw new Error('kith.internal.post.AuthorizeTopics: timed out');
      return create(AuthorizeTopicsResponseSchema, {
        allowedIds: req.ids!.filter((id) => allowed.has(id)),
      });
    },
  };
}

test('the checks of one turn share one AuthorizeTopics request per user and 100 ids', async () => {
  const posts = standIn();
  const topics = postTopics(posts);
  const anas = Array.from({ length: 150 }, (_, i) => topics.allows(post(i), ana));
  const bos = [topics.allows(post(2), bo), topics.allows(post(3), bo), topics.allows(post(2), bo)];
  assert.deepEqual(
    await Promise.all(anas),
    Array.from({ length: 150 }, (_, i) => i % 2 === 0),
  );
  assert.deepEqual(await Promise.all(bos), [true, false, true]);
  assert.deepEqual(
    posts.calls.map((c) => [c.userId, c.ids.length]),
    [
      [ana, 100],
      [ana, 50],
      [bo, 2],
    ],
  );
  // A later turn asks again: answers are not kept.
  assert.equal(await topics.allows(post(2), bo), true);
  assert.equal(posts.calls.length, 4);
});

test('an unanswered request fails every check it carried', async () => {
  const topics = postTopics(standIn(true));
  const checks = [topics.allows(post(1), ana), topics.allows(post(2), ana)];
  for (const check of checks) await assert.rejects(check, /timed out/);
});
