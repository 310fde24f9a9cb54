import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { afterAll, beforeAll, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import { NotificationService, NotificationType } from '@kith/gen/kith/user/v1/notification_pb.js';
import { SupportInternalService } from '@kith/gen/kith/support/v1/internal_pb.js';
import { withTables } from '@kith/db';
import { rpc, serveInternal } from '@kith/runtime';
import { accessMatrix, accessRow } from '@kith/testkit';
import { seedUser, startAuthHarness } from '../../../auth/src/testing/index.js';
import type { AuthHarness, TestUser } from '../../../auth/src/testing/index.js';
import type { GraphDb } from '../graph/relationship-store.js';
import { queuePush, startPushHarness, testId } from './testing/harness.js';
import type { PushHarness } from './testing/harness.js';

// The push RPCs that take an id, as each kind of caller. Push devices and receipts are the
// caller's own: anyone else's device is NotFound (as if it did not exist), a block changes
// nothing, and a refusal leaves every push table as it was.

type Actor = 'owner' | 'other' | 'blocked' | 'anonymous';
const actors: readonly Actor[] = ['owner', 'other', 'blocked', 'anonymous'];

let p: PushHarness<AuthHarness>;
const recorded: string[] = [];
let stopSupport: () => Promise<void> = async () => {};
beforeAll(async () => {
  p = await startPushHarness(startAuthHarness);
  // Stands in for the support service (SupportInternalService.RecordDeliveries), not built yet.
  const subscriptions = await serveInternal(
    p.app.bus,
    SupportInternalService,
    {
      async recordDeliveries(req) {
        recorded.push(...req.deliveries.map((d) => `${d.userId}:${d.incidentId}`));
        return {};
      },
    },
    p.app.logger,
  );
  stopSupport = async () => {
    for (const s of subscriptions) await s.stop();
  };
});
afterAll(async () => {
  await stopSupport();
  await p?.stop();
});

interface World {
  owner: TestUser;
  other: TestUser;
  blocked: TestUser;
  deviceId: string;
  notificationId: string;
  incidentId: string;
}

async function world(): Promise<World> {
  const owner = await seedUser(p.h);
  const other = await seedUser(p.h);
  const blocked = await seedUser(p.h);
  await withTables<GraphDb>(p.app.database.db)
    .insertInto('blocks')
    .values({ blocker_id: owner.userId, blocked_id: blocked.userId })
    .execute();
  const { pushDevice } = await p.notifications(owner.accessToken).registerPushDevice({
    token: { case: 'fcmToken', value: `fcm-${crypto.randomBytes(24).toString('hex')}` },
  });
  const incidentId = testId();
  const { notificationId } = await queuePush(p.app, {
    recipientId: owner.userId,
    type: NotificationType.SOS,
    data: { incidentId },
  });
  return { owner, other, blocked, deviceId: pushDevice!.pushDeviceId, notificationId, incidentId };
}

const tokenOf = (w: World, actor: Actor) => (actor === 'anonymous' ? '' : w[actor].accessToken);

/** Every push row of the world's owner, as JSON: what a refusal must leave unchanged. */
async function pushRowsOf(w: World): Promise<string> {
  const db = p.db();
  const devices = await db
    .selectFrom('push_devices')
    .selectAll()
    .where('user_id', '=', w.owner.userId)
    .orderBy('id')
    .execute();
  const jobs = await db
    .selectFrom('push_jobs')
    .selectAll()
    .where('recipient_id', '=', w.owner.userId)
    .orderBy('id')
    .execute();
  return JSON.stringify({ devices, jobs });
}

const snapshots = new WeakMap<World, string>();
async function snapshot(w: World): Promise<World> {
  snapshots.set(w, await pushRowsOf(w));
  return w;
}

accessMatrix(test, actors, [
  accessRow<Actor, World>({
    method: rpc(NotificationService, 'unregisterPushDevice'),
    setup: async () => snapshot(await world()),
    call: (actor, w) =>
      p.notifications(tokenOf(w, actor)).unregisterPushDevice({ pushDeviceId: w.deviceId }),
    expect: {
      owner: 'ok',
      other: Code.NotFound,
      blocked: Code.NotFound,
      anonymous: Code.Unauthenticated,
    },
    async intact(w) {
      assert.equal(await pushRowsOf(w), snapshots.get(w));
    },
  }),
  accessRow<Actor, World>({
    method: rpc(NotificationService, 'confirmPushDelivery'),
    setup: async () => snapshot(await world()),
    async call(actor, w) {
      await p
        .notifications(tokenOf(w, actor))
        .confirmPushDelivery({ notificationIds: [w.notificationId] });
      // Only the owner's receipt reaches support; anyone else's is ignored.
      const reached = recorded.filter((r) => r.endsWith(`:${w.incidentId}`));
      assert.deepEqual(reached, actor === 'owner' ? [`${w.owner.userId}:${w.incidentId}`] : []);
    },
    expect: { owner: 'ok', other: 'ok', blocked: 'ok', anonymous: Code.Unauthenticated },
    async intact(w) {
      assert.equal(await pushRowsOf(w), snapshots.get(w));
      assert.deepEqual(
        recorded.filter((r) => r.endsWith(`:${w.incidentId}`)),
        [],
      );
    },
  }),
]);
