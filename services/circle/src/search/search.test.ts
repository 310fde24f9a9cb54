import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { JoinRule } from '@kith/gen/kith/circle/v1/types_pb.js';
// By path: the circle package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness, startSession } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { startCircleHarness } from '../testing/circle-harness.js';
import type { CircleHarness, Person } from '../testing/circle-harness.js';

let c: CircleHarness<AuthHarness>;
beforeAll(async () => {
  c = await startCircleHarness({
    start: startAuthHarness,
    seed: (h) => seedUser(h),
    signIn: startSession,
  });
});
afterAll(() => c?.stop());

// Each test's circles carry a word of their own, so the tests do not see each other's circles.
let n = 0;
const tag = () => `zq${(n += 1)}x${Date.now().toString(36)}`;
const names = async (p: Person, query: string, joinRule = JoinRule.UNSPECIFIED) =>
  (await p.circles.searchCircles({ query, joinRule })).circles.map((x) => x.name);

test('words match names and descriptions without case or accents; name matches first, then size', async () => {
  const t = tag();
  const ana = await c.person();
  const ben = await c.person();
  const open = { discoverable: true, joinRule: JoinRule.REQUEST };
  const big = await c.circle(ana, { ...open, name: `Knitters ${t}`, description: 'Café evenings' });
  await c.join(big, await c.person());
  await c.circle(ana, { ...open, name: `Café crochet ${t}` });
  await c.circle(ana, { ...open, name: `Climbers ${t}`, description: 'Sunday cafe meetups' });
  await c.circle(ana, { name: `Private cafe ${t}` }); // not discoverable
  assert.deepEqual(await names(ben, `CAFE ${t}`), [
    `Café crochet ${t}`,
    `Knitters ${t}`,
    `Climbers ${t}`,
  ]);
  assert.deepEqual(await names(ben, `knitters café ${t}`), [`Knitters ${t}`]);
  assert.deepEqual(await names(ben, `nothing-like-this ${t}`), []);
});

test('deleted circles, circles that ban the caller and circles of an owner who blocks them are left out; members see member', async () => {
  const t = tag();
  const ana = await c.person();
  const ben = await c.person();
  const blocker = await c.person();
  const open = { discoverable: true, joinRule: JoinRule.REQUEST };
  const mine = await c.circle(ana, { ...open, name: `Mine ${t}` });
  await c.join(mine, ben);
  const gone = await c.circle(ana, { ...open, name: `Gone ${t}` });
  await ana.circles.deleteCircle({ circleId: gone });
  const banning = await c.circle(ana, { ...open, name: `Banning ${t}` });
  await ana.circles.banMember({ circleId: banning, userId: ben.userId });
  await c.circle(blocker, { ...open, name: `Blocked ${t}` });
  await c.app.database.db
    .insertInto('blocks')
    .values({ blocker_id: blocker.userId, blocked_id: ben.userId, active: true, version: '1' })
    .execute();
  const found = (await ben.circles.searchCircles({ query: t })).circles;
  assert.deepEqual(
    found.map((x) => [x.name, x.member]),
    [[`Mine ${t}`, true]],
  );
  assert.deepEqual((await names(ana, t)).sort(), [`Banning ${t}`, `Blocked ${t}`, `Mine ${t}`]);
});

test('the join-rule filter and paging', async () => {
  const t = tag();
  const ana = await c.person();
  for (const [i, joinRule] of [
    JoinRule.REQUEST,
    JoinRule.INVITE_ONLY,
    JoinRule.REQUEST,
  ].entries()) {
    await c.circle(ana, { discoverable: true, joinRule, name: `Group ${i} ${t}` });
  }
  assert.deepEqual(await names(ana, t, JoinRule.INVITE_ONLY), [`Group 1 ${t}`]);
  const first = await ana.circles.searchCircles({ query: t, pageSize: 2 });
  const second = await ana.circles.searchCircles({
    query: t,
    pageSize: 2,
    pageToken: first.nextPageToken,
  });
  assert.equal(first.circles.length, 2);
  assert.equal(second.circles.length, 1);
  assert.equal(second.nextPageToken, '');
  const all = [...first.circles, ...second.circles].map((x) => x.name).sort();
  assert.deepEqual(all, [`Group 0 ${t}`, `Group 1 ${t}`, `Group 2 ${t}`]);
});
