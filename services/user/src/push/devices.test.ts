import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { afterAll, beforeAll, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import { ApiKeyScope } from '@kith/gen/kith/auth/v1/types_pb.js';
import { SupportInternalService } from '@kith/gen/kith/support/v1/internal_pb.js';
import type { RecordDeliveriesRequest } from '@kith/gen/kith/support/v1/internal_pb.js';
import { DeliveryChannel } from '@kith/gen/kith/support/v1/types_pb.js';
import {
  ApnsEnvironment,
  NotificationType,
  PushPlatform,
} from '@kith/gen/kith/user/v1/notification_pb.js';
import { serveInternal } from '@kith/runtime';
import { waitFor } from '@kith/testkit';
import {
  codeOf,
  rejectsWith,
  seedUser,
  startAuthHarness,
  startSession,
  violatedFields,
} from '../../../auth/src/testing/index.js';
import type { AuthHarness, TestUser } from '../../../auth/src/testing/index.js';
import { vapidKeysFromSeed } from './config.js';
import { queuePush, startPushHarness, testId } from './testing/harness.js';
import type { PushHarness } from './testing/harness.js';
import { subscriptionKeys } from './testing/rfc8291.js';

// APNs is configured (so app ids are checked); FCM and Web Push are embedded mode's files.
const apnsKey = crypto
  .generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

let p: PushHarness<AuthHarness>;
beforeAll(async () => {
  p = await startPushHarness(startAuthHarness, {
    PUSH_APNS_KEY: apnsKey,
    PUSH_APNS_KEY_ID: 'KEY1234567',
    PUSH_APNS_TEAM_ID: 'TEAM123456',
    PUSH_APNS_APP_IDS: 'app.kith.ios',
    // Never reached here (the worker is off): loopback all the same.
    PUSH_APNS_PRODUCTION_URL: 'http://127.0.0.1:9',
    PUSH_APNS_SANDBOX_URL: 'http://127.0.0.1:9',
  });
});
afterAll(async () => {
  await p?.stop();
});

const fcmToken = () => `fcm-${crypto.randomBytes(24).toString('hex')}`;

async function registerFcm(user: { accessToken: string }, token = fcmToken(), label = 'Pixel') {
  const res = await p.notifications(user.accessToken).registerPushDevice({
    token: { case: 'fcmToken', value: token },
    deviceLabel: label,
  });
  return res.pushDevice!;
}

async function deviceIds(user: { accessToken: string }) {
  const res = await p.notifications(user.accessToken).listPushDevices({});
  return res.pushDevices.map((d) => d.pushDeviceId);
}

test('GetPushConfig gives the VAPID public key derived for this data dir, the same on every call', async () => {
  const user = await seedUser(p.h);
  const first = await p.notifications(user.accessToken).getPushConfig({});
  const second = await p.notifications(user.accessToken).getPushConfig({});
  const expected = vapidKeysFromSeed(p.app.ctx.derivedSecret('push.vapid')!).publicKey;
  assert.equal(first.vapidPublicKey, expected);
  assert.equal(second.vapidPublicKey, expected);
  // An uncompressed P-256 point.
  assert.equal(Buffer.from(first.vapidPublicKey, 'base64url').length, 65);
  assert.equal(Buffer.from(first.vapidPublicKey, 'base64url')[0], 4);
});

test('a registered device is bound to the session that registered it', async () => {
  const user = await seedUser(p.h);
  const device = await registerFcm(user, fcmToken(), 'Ana’s Pixel');
  assert.equal(device.platform, PushPlatform.FCM);
  assert.equal(device.sessionId, user.sessionId);
  assert.equal(device.deviceLabel, 'Ana’s Pixel');
  assert.deepEqual(await deviceIds(user), [device.pushDeviceId]);
});

test('the same token registers once: re-registering refreshes it and a new session takes it over', async () => {
  const user = await seedUser(p.h);
  const token = fcmToken();
  const first = await registerFcm(user, token);
  p.h.clock.advance(60_000);
  const later = await startSession(p.h, user);
  const again = await registerFcm(later, token, 'renamed');
  assert.equal(again.pushDeviceId, first.pushDeviceId);
  assert.equal(again.sessionId, later.sessionId);
  assert.equal(again.deviceLabel, 'renamed');
  assert.ok(Number(again.lastSeenAt!.seconds) > Number(first.lastSeenAt!.seconds));
  assert.deepEqual(await deviceIds(user), [first.pushDeviceId]);
});

test('a token another account registered moves to the caller: the previous account no longer gets its pushes', async () => {
  const ana = await seedUser(p.h);
  const ben = await seedUser(p.h);
  const token = fcmToken();
  const anas = await registerFcm(ana, token);
  const bens = await registerFcm(ben, token);
  assert.notEqual(bens.pushDeviceId, anas.pushDeviceId);
  assert.deepEqual(await deviceIds(ana), []);
  assert.deepEqual(await deviceIds(ben), [bens.pushDeviceId]);
});

test('an APNs device must be for an app this server is configured for', async () => {
  const user = await seedUser(p.h);
  const client = p.notifications(user.accessToken);
  const apns = (appId: string) => ({
    token: {
      case: 'apns' as const,
      value: { deviceToken: 'a1'.repeat(32), environment: ApnsEnvironment.SANDBOX, appId },
    },
  });
  const refused = await rejectsWith(
    client.registerPushDevice(apns('com.example.other')),
    Code.InvalidArgument,
  );
  assert.deepEqual(violatedFields(refused), ['apns.app_id']);
  const ok = await client.registerPushDevice(apns('app.kith.ios'));
  assert.equal(ok.pushDevice!.platform, PushPlatform.APNS);
  assert.equal(ok.pushDevice!.appId, 'app.kith.ios');
  assert.equal(ok.pushDevice!.apnsEnvironment, ApnsEnvironment.SANDBOX);
  assert.deepEqual(await deviceIds(user), [ok.pushDevice!.pushDeviceId]);
});

test('a Web Push subscription must point at a browser push service', async () => {
  const user = await seedUser(p.h);
  const client = p.notifications(user.accessToken);
  const keys = subscriptionKeys();
  const subscribe = (endpoint: string) =>
    client.registerPushDevice({
      token: { case: 'webPush', value: { endpoint, p256dh: keys.p256dh, auth: keys.auth } },
    });
  for (const endpoint of [
    'https://metadata.internal/latest',
    'https://evil.example/fcm.googleapis.com',
    'https://fcm.googleapis.com.evil.example/send',
  ]) {
    const err = await rejectsWith(subscribe(endpoint), Code.InvalidArgument);
    assert.deepEqual(violatedFields(err), ['web_push.endpoint'], endpoint);
  }
  const ok = await subscribe('https://fcm.googleapis.com/fcm/send/abc:def');
  assert.equal(ok.pushDevice!.platform, PushPlatform.WEB_PUSH);
});

test('API keys cannot touch push devices, whatever their scopes', async () => {
  const user = await seedUser(p.h);
  const key = await p.h.as(user.accessToken).auth.createApiKey({
    name: 'reader',
    scopes: [ApiKeyScope.NOTIFICATIONS_READ],
    proof: { case: 'currentPassword', value: user.password },
  });
  const client = p.notifications(key.secret);
  assert.equal(
    await codeOf(client.registerPushDevice({ token: { case: 'fcmToken', value: fcmToken() } })),
    Code.PermissionDenied,
  );
  assert.equal(await codeOf(client.listPushDevices({})), Code.PermissionDenied);
  assert.equal(
    await codeOf(client.unregisterPushDevice({ pushDeviceId: crypto.randomUUID() })),
    Code.PermissionDenied,
  );
  assert.equal(
    await codeOf(client.confirmPushDelivery({ notificationIds: [crypto.randomUUID()] })),
    Code.PermissionDenied,
  );
  assert.deepEqual(await deviceIds(user), []);
});

test('no push RPC answers an anonymous caller', async () => {
  const client = p.notifications('');
  assert.equal(await codeOf(client.getPushConfig({})), Code.Unauthenticated);
  assert.equal(await codeOf(client.listPushDevices({})), Code.Unauthenticated);
});

test('unregistering someone else’s device is NotFound and leaves it in place', async () => {
  const ana = await seedUser(p.h);
  const ben = await seedUser(p.h);
  const anas = await registerFcm(ana);
  assert.equal(
    await codeOf(
      p.notifications(ben.accessToken).unregisterPushDevice({ pushDeviceId: anas.pushDeviceId }),
    ),
    Code.NotFound,
  );
  assert.equal(
    await codeOf(
      p.notifications(ben.accessToken).unregisterPushDevice({ pushDeviceId: crypto.randomUUID() }),
    ),
    Code.NotFound,
  );
  assert.deepEqual(await deviceIds(ana), [anas.pushDeviceId]);
  await p.notifications(ana.accessToken).unregisterPushDevice({ pushDeviceId: anas.pushDeviceId });
  assert.deepEqual(await deviceIds(ana), []);
});

test('ListPushDevices pages the caller’s devices, most recently seen first', async () => {
  const user = await seedUser(p.h);
  const a = await registerFcm(user);
  p.h.clock.advance(1000);
  const b = await registerFcm(user);
  p.h.clock.advance(1000);
  const c = await registerFcm(user);
  p.h.clock.advance(1000);
  // Seen again: first in the list.
  const aToken = (
    await p
      .db()
      .selectFrom('push_devices')
      .select('token')
      .where('id', '=', a.pushDeviceId)
      .executeTakeFirstOrThrow()
  ).token;
  await registerFcm(user, aToken);
  const client = p.notifications(user.accessToken);
  const first = await client.listPushDevices({ pageSize: 2 });
  assert.deepEqual(
    first.pushDevices.map((d) => d.pushDeviceId),
    [a.pushDeviceId, c.pushDeviceId],
  );
  assert.notEqual(first.nextPageToken, '');
  const second = await client.listPushDevices({ pageSize: 2, pageToken: first.nextPageToken });
  assert.deepEqual(
    second.pushDevices.map((d) => d.pushDeviceId),
    [b.pushDeviceId],
  );
  assert.equal(second.nextPageToken, '');
  // Another caller cannot replay the token.
  const other = await seedUser(p.h);
  assert.equal(
    await codeOf(
      p
        .notifications(other.accessToken)
        .listPushDevices({ pageSize: 2, pageToken: first.nextPageToken }),
    ),
    Code.InvalidArgument,
  );
});

test('a user keeps at most 20 devices: the least recently seen goes', async () => {
  const user = await seedUser(p.h);
  const first = await registerFcm(user);
  for (let i = 0; i < 20; i++) {
    p.h.clock.advance(1000);
    await registerFcm(user);
  }
  const ids: string[] = [];
  let pageToken = '';
  do {
    const page = await p
      .notifications(user.accessToken)
      .listPushDevices({ pageSize: 100, pageToken });
    ids.push(...page.pushDevices.map((d) => d.pushDeviceId));
    pageToken = page.nextPageToken;
  } while (pageToken);
  assert.equal(ids.length, 20);
  assert.ok(!ids.includes(first.pushDeviceId));
});

test('logging out drops the devices that session registered, and only those', async () => {
  const user: TestUser = await seedUser(p.h);
  const other = await startSession(p.h, user);
  const mine = await registerFcm(user);
  const kept = await registerFcm(other);
  await p.h.as(user.accessToken).auth.logout({});
  await waitFor(async () => !(await deviceIds(other)).includes(mine.pushDeviceId), {
    what: 'the logged-out session’s device to be dropped',
  });
  assert.deepEqual(await deviceIds(other), [kept.pushDeviceId]);
});

test('a revoked session loses its devices', async () => {
  const user = await seedUser(p.h);
  const phone = await startSession(p.h, user);
  await registerFcm(phone);
  await p.h.as(user.accessToken).auth.revokeSession({ sessionId: phone.sessionId });
  await waitFor(async () => (await deviceIds(user)).length === 0, {
    what: 'the revoked session’s device to be dropped',
  });
});

test('ConfirmPushDelivery passes the caller’s own incident-alert receipts to support, and nothing else', async () => {
  const responder = await seedUser(p.h);
  const stranger = await seedUser(p.h);
  const incidentId = testId();
  const sos = await queuePush(p.app, {
    recipientId: responder.userId,
    type: NotificationType.SOS,
    data: { incidentId },
    critical: true,
  });
  const follow = await queuePush(p.app, {
    recipientId: responder.userId,
    type: NotificationType.FOLLOW,
  });
  const strangersSos = await queuePush(p.app, {
    recipientId: stranger.userId,
    type: NotificationType.SOS,
    data: { incidentId: testId() },
  });
  // Stands in for the support service (SupportInternalService.RecordDeliveries), which does
  // not exist yet: a real responder on the real bus.
  const received: RecordDeliveriesRequest[] = [];
  const subscriptions = await serveInternal(
    p.app.bus,
    SupportInternalService,
    {
      async recordDeliveries(req) {
        received.push(req);
        return {};
      },
    },
    p.app.logger,
  );
  try {
    await p.notifications(responder.accessToken).confirmPushDelivery({
      notificationIds: [
        sos.notificationId,
        follow.notificationId,
        strangersSos.notificationId,
        testId(),
      ],
    });
    assert.equal(received.length, 1);
    assert.equal(received[0]!.deliveries.length, 1);
    const delivery = received[0]!.deliveries[0]!;
    assert.equal(delivery.incidentId, incidentId);
    assert.equal(delivery.userId, responder.userId);
    assert.equal(delivery.channel, DeliveryChannel.PUSH);
    assert.equal(
      Number(delivery.deliveredAt!.seconds),
      Math.floor(p.h.clock.now().getTime() / 1000),
    );
    // Only other people's and plain notifications: support hears nothing.
    await p.notifications(responder.accessToken).confirmPushDelivery({
      notificationIds: [follow.notificationId, strangersSos.notificationId],
    });
    assert.equal(received.length, 1);
  } finally {
    for (const s of subscriptions) await s.stop();
  }
});

test('ConfirmPushDelivery succeeds while the support service is unavailable', async () => {
  const responder = await seedUser(p.h);
  const sos = await queuePush(p.app, {
    recipientId: responder.userId,
    type: NotificationType.SOS,
    data: { incidentId: testId() },
  });
  await p.notifications(responder.accessToken).confirmPushDelivery({
    notificationIds: [sos.notificationId],
  });
});

test('a disabled account loses every push device', async () => {
  const admin = await seedUser(p.h, { role: 'admin' });
  const user = await seedUser(p.h);
  const tablet = await startSession(p.h, user);
  await registerFcm(user);
  await registerFcm(tablet);
  await p.h.as(admin.accessToken).admin.disableAccount({
    userId: user.userId,
    reason: 'spam',
    stepUp: { currentPassword: admin.password },
  });
  await waitFor(
    async () =>
      (
        await p
          .db()
          .selectFrom('push_devices')
          .select('id')
          .where('user_id', '=', user.userId)
          .execute()
      ).length === 0,
    { what: 'the disabled account’s devices to be dropped' },
  );
});
