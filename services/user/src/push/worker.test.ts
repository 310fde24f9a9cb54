import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, test } from 'vitest';
import { NotificationType } from '@kith/gen/kith/user/v1/notification_pb.js';
import { seedUser, startAuthHarness } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { fcmAdapter } from './adapters/fcm.js';
import { PLATFORM_FCM } from './adapters/types.js';
import { loadPushConfig } from './config.js';
import { pushAdapters } from './parts.js';
import { backoffMs, createPushWorker } from './worker.js';
import { claimDueDeliveries, leaseDeliveries } from './push-store.js';
import type { PushStoreDb } from './push-store.js';
import { withTables } from '@kith/db';
import type { PushWorker } from './worker.js';
import { queuePush, startPushHarness } from './testing/harness.js';
import type { PushHarness } from './testing/harness.js';
import { startHttpServer } from './testing/protocol-servers.js';
import type { ProtocolServer } from './testing/protocol-servers.js';

let p: PushHarness<AuthHarness>;
let fcm: ProtocolServer;
let worker: PushWorker;
const RETRY = { retryBaseMs: 1000, retryMaxMs: 60_000 };
const serviceAccountKey = crypto
  .generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

/** An FCM adapter for the local FCM server (each replica has its own). */
function localFcm() {
  return fcmAdapter(
    {
      projectId: 'kith-test',
      clientEmail: 'push@kith-test.iam.gserviceaccount.com',
      privateKey: serviceAccountKey,
      tokenUrl: `${fcm.url}/token`,
      url: fcm.url,
    },
    () => p.h.clock.now(),
  );
}

beforeAll(async () => {
  p = await startPushHarness(startAuthHarness);
  fcm = await startHttpServer();
  fcm.routes['/token'] = () => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ access_token: 'ya29.local', expires_in: 3600 }),
  });
  worker = createPushWorker(p.app, {
    maxAttempts: 3,
    ...RETRY,
    pollMs: 1000,
    // Half the jitter range, every time: the delays are exact.
    random: () => 0.5,
    adapters: { [PLATFORM_FCM]: localFcm() },
  });
});
afterAll(async () => {
  await worker?.close();
  await fcm?.close();
  await p?.stop();
});
beforeEach(() => {
  fcm.requests.length = 0;
  fcm.answers.length = 0;
  fcm.fallback = { status: 200, body: '{"name":"projects/kith-test/messages/1"}' };
});

async function userWithDevices(count: number) {
  const user = await seedUser(p.h);
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const token = `fcm-${crypto.randomBytes(24).toString('hex')}`;
    tokens.push(token);
    await p.notifications(user.accessToken).registerPushDevice({
      token: { case: 'fcmToken', value: token },
    });
  }
  return { user, tokens };
}

const sentTo = () =>
  fcm.requests.map(
    (r) => (JSON.parse(r.body.toString()) as { message: { token: string } }).message.token,
  );

const deliveriesOf = (userId: string) =>
  p
    .db()
    .selectFrom('push_deliveries as d')
    .innerJoin('push_jobs as j', 'j.id', 'd.job_id')
    .select(['d.id', 'd.attempts', 'd.next_attempt_at', 'd.last_error'])
    .where('j.recipient_id', '=', userId)
    .execute();

const deadLettersOf = (userId: string) =>
  p.db().selectFrom('push_dead_letters').selectAll().where('recipient_id', '=', userId).execute();

test('a push reaches each of the recipient’s devices exactly once, even with two workers at once', async () => {
  const { user, tokens } = await userWithDevices(2);
  const bystander = await userWithDevices(1);
  const { notificationId } = await queuePush(p.app, { recipientId: user.userId });
  const second = createPushWorker(p.app, {
    maxAttempts: 3,
    ...RETRY,
    pollMs: 1000,
    adapters: { [PLATFORM_FCM]: localFcm() },
  });
  await Promise.all([worker.runOnce(), second.runOnce(), worker.runOnce(), second.runOnce()]);
  await worker.runOnce();
  assert.equal(fcm.requests.length, 2);
  assert.deepEqual(sentTo().sort(), [...tokens].sort());
  assert.ok(!sentTo().includes(bystander.tokens[0]!));
  for (const req of fcm.requests) {
    const body = JSON.parse(req.body.toString()) as { message: { data: Record<string, string> } };
    assert.equal(body.message.data['notification_id'], notificationId);
  }
  assert.deepEqual(await deliveriesOf(user.userId), []);
  // Nothing is sent twice on the next passes.
  await worker.runOnce();
  assert.equal(fcm.requests.length, 2);
});

test('a token FCM no longer knows removes the device, and the device gets nothing more', async () => {
  const { user, tokens } = await userWithDevices(2);
  fcm.answers.push({
    status: 404,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      error: { code: 404, status: 'NOT_FOUND', details: [{ errorCode: 'UNREGISTERED' }] },
    }),
  });
  await queuePush(p.app, { recipientId: user.userId });
  await worker.runOnce();
  const rejected = sentTo()[0]!;
  const left = await p.notifications(user.accessToken).listPushDevices({});
  assert.equal(left.pushDevices.length, 1);
  const remaining = await p
    .db()
    .selectFrom('push_devices')
    .select('token')
    .where('user_id', '=', user.userId)
    .execute();
  assert.deepEqual(
    remaining.map((r) => r.token),
    tokens.filter((t) => t !== rejected),
  );
  fcm.requests.length = 0;
  await queuePush(p.app, { recipientId: user.userId });
  await worker.runOnce();
  assert.deepEqual(
    sentTo(),
    tokens.filter((t) => t !== rejected),
  );
});

test('a 5xx is retried with exponential backoff on the clock and ends in the dead-letter table', async () => {
  const { user, tokens } = await userWithDevices(1);
  fcm.fallback = { status: 503, body: '{"error":{"code":503,"status":"UNAVAILABLE"}}' };
  const { notificationId, jobId } = await queuePush(p.app, { recipientId: user.userId });

  await worker.runOnce();
  assert.equal(fcm.requests.length, 1);
  let [delivery] = await deliveriesOf(user.userId);
  assert.equal(delivery!.attempts, 1);
  assert.equal(delivery!.last_error, 'FCM 503 UNAVAILABLE');
  // First retry: base 1 s with half the jitter → 750 ms.
  assert.equal(
    delivery!.next_attempt_at.getTime() - p.h.clock.now().getTime(),
    backoffMs(1, RETRY, 0.5),
  );
  assert.equal(backoffMs(1, RETRY, 0.5), 750);

  p.h.clock.advance(749);
  await worker.runOnce();
  assert.equal(fcm.requests.length, 1, 'not before its time');
  p.h.clock.advance(1);
  await worker.runOnce();
  assert.equal(fcm.requests.length, 2);
  [delivery] = await deliveriesOf(user.userId);
  assert.equal(delivery!.attempts, 2);
  // Second retry: doubled → 1500 ms.
  assert.equal(delivery!.next_attempt_at.getTime() - p.h.clock.now().getTime(), 1500);

  p.h.clock.advance(1500);
  await worker.runOnce();
  assert.equal(fcm.requests.length, 3);
  assert.deepEqual(await deliveriesOf(user.userId), []);
  const dead = await deadLettersOf(user.userId);
  assert.equal(dead.length, 1);
  assert.equal(dead[0]!.notification_id, notificationId);
  assert.equal(dead[0]!.job_id, jobId);
  assert.equal(dead[0]!.attempts, 3);
  assert.equal(dead[0]!.last_error, 'FCM 503 UNAVAILABLE');
  // The device stays: a provider outage is not the token's fault.
  assert.equal((await p.notifications(user.accessToken).listPushDevices({})).pushDevices.length, 1);
  p.h.clock.advance(3600_000);
  await worker.runOnce();
  assert.equal(fcm.requests.length, 3);
  assert.deepEqual(sentTo(), [tokens[0], tokens[0], tokens[0]]);
});

test('a Retry-After longer than the backoff is honoured', async () => {
  const { user } = await userWithDevices(1);
  fcm.answers.push({ status: 429, headers: { 'retry-after': '90' }, body: '{}' });
  await queuePush(p.app, { recipientId: user.userId });
  await worker.runOnce();
  const [delivery] = await deliveriesOf(user.userId);
  assert.equal(delivery!.next_attempt_at.getTime() - p.h.clock.now().getTime(), 90_000);
  p.h.clock.advance(90_000);
  await worker.runOnce();
  assert.equal(fcm.requests.length, 2);
  assert.deepEqual(await deliveriesOf(user.userId), []);
});

test('backoff doubles per attempt up to the maximum, with jitter inside [half, whole]', () => {
  const options = { retryBaseMs: 30_000, retryMaxMs: 3600_000 };
  assert.equal(backoffMs(1, options, 0), 15_000);
  assert.equal(backoffMs(1, options, 1), 30_000);
  assert.equal(backoffMs(3, options, 1), 120_000);
  assert.equal(backoffMs(20, options, 1), 3600_000);
  assert.equal(backoffMs(20, options, 0), 1800_000);
});

test('a removed device takes its pending deliveries with it', async () => {
  const { user } = await userWithDevices(1);
  fcm.fallback = { status: 500, body: '{}' };
  await queuePush(p.app, { recipientId: user.userId });
  await worker.runOnce();
  assert.equal((await deliveriesOf(user.userId)).length, 1);
  const [device] = (await p.notifications(user.accessToken).listPushDevices({})).pushDevices;
  await p
    .notifications(user.accessToken)
    .unregisterPushDevice({ pushDeviceId: device!.pushDeviceId });
  assert.deepEqual(await deliveriesOf(user.userId), []);
});

test('embedded mode without providers writes each push to a file under the data dir', async () => {
  const { user } = await userWithDevices(1);
  const config = loadPushConfig(p.app.ctx.env, (purpose) => p.app.ctx.derivedSecret(purpose));
  const embedded = createPushWorker(p.app, {
    maxAttempts: 3,
    ...RETRY,
    pollMs: 1000,
    adapters: pushAdapters(p.app, config),
  });
  const { notificationId } = await queuePush(p.app, {
    recipientId: user.userId,
    type: NotificationType.SOS,
    title: 'SOS from Ana',
    critical: true,
  });
  await embedded.runOnce();
  const dir = path.join(p.app.ctx.config.dataDir, 'push');
  const records = await Promise.all(
    (await fs.readdir(dir)).map(
      async (file) =>
        JSON.parse(await fs.readFile(path.join(dir, file), 'utf8')) as Record<string, unknown>,
    ),
  );
  const mine = records.filter((r) => r['notification_id'] === notificationId);
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!['title'], 'SOS from Ana');
  assert.equal(mine[0]!['critical'], true);
  assert.equal(mine[0]!['platform'], 'fcm');
  assert.equal(fcm.requests.length, 0);
  assert.deepEqual(await deliveriesOf(user.userId), []);
});

test('a worker that dies mid-send holds its deliveries for the lease only; they are then sent once', async () => {
  const { user, tokens } = await userWithDevices(1);
  // A first attempt fails, so the delivery waits (750 ms) for the next one.
  fcm.answers.push({ status: 503, body: '{}' });
  await queuePush(p.app, { recipientId: user.userId });
  await worker.runOnce();
  assert.equal((await deliveriesOf(user.userId)).length, 1);
  p.h.clock.advance(750);
  // Another replica claims and leases it, then vanishes before sending.
  await p.app.database.transaction(async (trx) => {
    const db = withTables<PushStoreDb>(trx);
    const now = p.h.clock.now();
    const ids = await claimDueDeliveries(db, { now, limit: 50 });
    assert.equal(ids.length, 1);
    await leaseDeliveries(db, ids, new Date(now.getTime() + 2 * 60_000));
  });
  fcm.requests.length = 0;
  await worker.runOnce();
  assert.equal(fcm.requests.length, 0, 'leased to the vanished worker');
  p.h.clock.advance(2 * 60_000);
  await worker.runOnce();
  assert.deepEqual(sentTo(), tokens);
  assert.deepEqual(await deliveriesOf(user.userId), []);
  await worker.runOnce();
  assert.equal(fcm.requests.length, 1);
});

test('fanned-out jobs are pruned after a week', async () => {
  const { user } = await userWithDevices(1);
  const { jobId } = await queuePush(p.app, { recipientId: user.userId });
  await worker.runOnce();
  const jobExists = async () =>
    (await p.db().selectFrom('push_jobs').select('id').where('id', '=', jobId).execute()).length;
  assert.equal(await jobExists(), 1);
  p.h.clock.advance(6 * 24 * 3600_000);
  await worker.runOnce();
  assert.equal(await jobExists(), 1, 'kept for receipts within the week');
  p.h.clock.advance(24 * 3600_000 + 1000);
  await worker.runOnce();
  assert.equal(await jobExists(), 0);
});
