import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { afterAll, beforeAll, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import {
  CircleDeletionReason,
  CircleModerationState,
  JoinRule,
} from '@kith/gen/kith/circle/v1/types_pb.js';
import type { Circle } from '@kith/gen/kith/circle/v1/types_pb.js';
import { ActionType } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { rejectsWith, waitFor } from '@kith/testkit';
// By path: the circle package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness, startSession } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { startCircleHarness } from '../testing/circle-harness.js';
import type { CircleHarness, Person } from '../testing/circle-harness.js';

// Platform moderation of circles: moderation.content_actioned / action_reversed on a circle
// subject, applied by the subject's enforcement version.

let c: CircleHarness<AuthHarness>;
beforeAll(async () => {
  c = await startCircleHarness({
    start: startAuthHarness,
    seed: (h) => seedUser(h),
    signIn: startSession,
  });
});
afterAll(() => c?.stop());

type Enforcement = { hidden?: boolean; removed?: boolean };

async function actioned(circleId: string, ownerId: string, version: bigint, e: Enforcement) {
  await c.publishAs('moderation', {
    case: 'moderationContentActioned',
    value: {
      actionId: crypto.randomUUID(),
      subject: { kind: { case: 'circleId', value: circleId } },
      actionType: e.removed ? ActionType.REMOVE_CONTENT : ActionType.HIDE_CONTENT,
      userId: ownerId,
      version,
      enforcement: e,
    },
  });
}

async function reversed(circleId: string, ownerId: string, version: bigint) {
  await c.publishAs('moderation', {
    case: 'moderationActionReversed',
    value: {
      actionId: crypto.randomUUID(),
      subject: { kind: { case: 'circleId', value: circleId } },
      actionType: ActionType.REMOVE_CONTENT,
      userId: ownerId,
      version,
      enforcement: {},
    },
  });
}

async function stateOf(circleId: string) {
  return c.app.database.db
    .selectFrom('circles')
    .select(['moderation_state', 'moderation_version', 'deleted_at'])
    .where('id', '=', circleId)
    .executeTakeFirstOrThrow();
}

const applied = (circleId: string, version: bigint) =>
  waitFor(async () => BigInt((await stateOf(circleId)).moderation_version) === version, {
    timeoutMs: 10_000,
    intervalMs: 50,
    what: `enforcement version ${version}`,
  });

async function asMember(viewer: Person, circleId: string): Promise<Circle> {
  const { view } = await viewer.circles.getCircle({ circleId });
  assert.equal(view.case, 'circle');
  return view.value as Circle;
}

test('a hidden circle leaves search, previews and links; its members keep everything', async () => {
  const ana = await c.person();
  const ben = await c.person();
  const stranger = await c.person();
  const name = `Hideaway ${crypto.randomUUID().slice(0, 8)}`;
  const circleId = await c.circle(ana, { name, joinRule: JoinRule.REQUEST, discoverable: true });
  await c.join(circleId, ben);
  const { inviteLink } = await ana.circles.createInviteLink({ circleId });
  const found = async () =>
    (await stranger.circles.searchCircles({ query: name })).circles.map((x) => x.circleId);
  assert.deepEqual(await found(), [circleId]);

  await actioned(circleId, ana.userId, 1n, { hidden: true });
  await applied(circleId, 1n);

  assert.deepEqual(await found(), []);
  await rejectsWith(stranger.circles.getCircle({ circleId }), Code.NotFound);
  await rejectsWith(stranger.circles.previewInviteLink({ code: inviteLink!.code }), Code.NotFound);
  await rejectsWith(stranger.circles.joinByLink({ code: inviteLink!.code }), Code.NotFound);
  assert.equal((await asMember(ben, circleId)).circleId, circleId);
  assert.equal((await asMember(ana, circleId)).moderationState, CircleModerationState.HIDDEN);
  // A member does not see the moderation state; the OWNER and ADMINs do.
  assert.equal((await asMember(ben, circleId)).moderationState, CircleModerationState.UNSPECIFIED);

  await reversed(circleId, ana.userId, 2n);
  await applied(circleId, 2n);
  assert.deepEqual(await found(), [circleId]);
});

test('a removed circle is deleted (reason MODERATION), its OWNER cannot restore it, and a reversal does; a replayed older action changes nothing', async () => {
  const ana = await c.person();
  const ben = await c.person();
  const circleId = await c.circle(ana);
  await c.join(circleId, ben);
  const before = (await c.events()).length;

  await actioned(circleId, ana.userId, 1n, { removed: true });
  await applied(circleId, 1n);

  const events = (await c.events()).slice(before);
  const deleted = events.find((p) => p.case === 'circleDeleted');
  assert.ok(deleted?.case === 'circleDeleted');
  assert.equal(deleted.value.circleId, circleId);
  assert.equal(deleted.value.reason, CircleDeletionReason.MODERATION);
  assert.equal(deleted.value.deletedByUserId, '');
  await rejectsWith(ben.circles.getCircle({ circleId }), Code.NotFound);
  assert.equal((await asMember(ana, circleId)).moderationState, CircleModerationState.REMOVED);
  await rejectsWith(ana.circles.restoreCircle({ circleId }), Code.FailedPrecondition);

  await reversed(circleId, ana.userId, 2n);
  await applied(circleId, 2n);
  assert.equal((await asMember(ben, circleId)).circleId, circleId);
  const restored = (await c.events()).slice(before).find((p) => p.case === 'circleRestored');
  assert.ok(restored?.case === 'circleRestored');
  assert.equal(restored.value.restoredByUserId, '');

  // The removal again, older than the reversal: dropped. A marker proves it was seen.
  await actioned(circleId, ana.userId, 1n, { removed: true });
  const marker = await c.circle(ana);
  await actioned(marker, ana.userId, 1n, { hidden: true });
  await applied(marker, 1n);
  const state = await stateOf(circleId);
  assert.equal(state.deleted_at, null);
  assert.equal(state.moderation_state, CircleModerationState.NONE);
});

test('a reversal leaves a circle its OWNER had deleted before the removal as the OWNER left it', async () => {
  const ana = await c.person();
  const circleId = await c.circle(ana);
  await ana.circles.deleteCircle({ circleId });

  await actioned(circleId, ana.userId, 1n, { removed: true });
  await applied(circleId, 1n);
  await rejectsWith(ana.circles.restoreCircle({ circleId }), Code.FailedPrecondition);
  await reversed(circleId, ana.userId, 2n);
  await applied(circleId, 2n);

  assert.notEqual((await stateOf(circleId)).deleted_at, null);
  // Its OWNER may restore it again.
  await ana.circles.restoreCircle({ circleId });
  assert.equal((await stateOf(circleId)).deleted_at, null);
});
