import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { Code, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { ApiKeyScope } from '@kith/gen/kith/auth/v1/types_pb.js';
import { NotificationService } from '@kith/gen/kith/user/v1/notification_pb.js';
import { UserAdminService } from '@kith/gen/kith/user/v1/user_admin_pb.js';
import { UserService } from '@kith/gen/kith/user/v1/user_pb.js';
// By path: the user package does not depend on the auth service; its harness issues the tokens
// and API keys these calls are made with.
import { codeOf, seedUser, startAuthHarness } from '../../auth/src/testing/index.js';
import type { AuthHarness, TestUser } from '../../auth/src/testing/index.js';
import { userModule } from './module.js';

// The gates in front of the handlers: public methods, API-key scopes, session-only methods and
// the staff role. "Through" means the call passed every gate (whatever the handler answered).

const SOMEONE = '0190f2f6-6f3c-7cc0-8b5c-7a0000000001';

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuthHarness({ modules: [userModule] });
});
afterAll(async () => {
  await h?.stop();
});

async function keyWith(user: TestUser, scopes: ApiKeyScope[]): Promise<string> {
  const res = await h.as(user.accessToken).auth.createApiKey({
    name: 'user key',
    scopes,
    proof: { case: 'currentPassword', value: user.password },
  });
  return res.secret;
}

async function through(call: Promise<unknown>, label: string): Promise<void> {
  const code = await codeOf(call);
  assert.ok(
    code !== Code.PermissionDenied && code !== Code.Unauthenticated,
    `${label}: stopped at a gate (${String(code)})`,
  );
}

test('anyone may read profiles; everything else needs a caller', async () => {
  const nobody = createConnectTransport({ baseUrl: h.url, httpVersion: '1.1' });
  const anonymous = createClient(UserService, nobody);
  await through(anonymous.getProfile({ lookup: { case: 'userId', value: SOMEONE } }), 'GetProfile');
  await through(anonymous.getProfiles({ userIds: [SOMEONE] }), 'GetProfiles');
  assert.equal(await codeOf(anonymous.searchUsers({ query: 'ann' })), Code.Unauthenticated);
  assert.equal(await codeOf(anonymous.follow({ userId: SOMEONE })), Code.Unauthenticated);
  const notifications = createClient(NotificationService, nobody);
  assert.equal(await codeOf(notifications.getUnreadCount({})), Code.Unauthenticated);
});

test('profile:read reaches profile reads and lists, nothing that changes the graph or settings', async () => {
  const user = await seedUser(h);
  const users = createClient(
    UserService,
    h.as(await keyWith(user, [ApiKeyScope.PROFILE_READ])).transport,
  );
  await through(users.getProfile({ lookup: { case: 'userId', value: user.userId } }), 'GetProfile');
  await through(users.searchUsers({ query: 'ann' }), 'SearchUsers');
  await through(users.listFollowers({ userId: user.userId }), 'ListFollowers');
  await through(users.listFollowing({ userId: user.userId }), 'ListFollowing');
  for (const [label, call] of [
    [
      'UpdateProfile',
      users.updateProfile({ profile: { bio: 'x' }, updateMask: { paths: ['bio'] } }),
    ],
    ['Follow', users.follow({ userId: SOMEONE })],
    ['Block', users.block({ userId: SOMEONE })],
    ['Mute', users.mute({ userId: SOMEONE })],
    ['GetRelationships', users.getRelationships({ userIds: [SOMEONE] })],
    ['GetSettings', users.getSettings({})],
    ['ListFollowRequests', users.listFollowRequests({})],
    ['RequestDataExport', users.requestDataExport({})],
    ['RequestAccountDeletion', users.requestAccountDeletion({})],
  ] as const) {
    assert.equal(await codeOf(call), Code.PermissionDenied, label);
  }
});

test('profile:write reaches UpdateProfile only', async () => {
  const user = await seedUser(h);
  const users = createClient(
    UserService,
    h.as(await keyWith(user, [ApiKeyScope.PROFILE_WRITE])).transport,
  );
  await through(
    users.updateProfile({ profile: { bio: 'from a key' }, updateMask: { paths: ['bio'] } }),
    'UpdateProfile',
  );
  assert.equal(
    await codeOf(
      users.updateSettings({
        settings: { discoverable: false },
        updateMask: { paths: ['discoverable'] },
      }),
    ),
    Code.PermissionDenied,
  );
  assert.equal(
    await codeOf(users.getProfile({ lookup: { case: 'userId', value: SOMEONE } })),
    Code.PermissionDenied,
  );
});

test('notifications:read reaches the inbox and preferences reads; writes and push devices need a session', async () => {
  const user = await seedUser(h);
  const notifications = createClient(
    NotificationService,
    h.as(await keyWith(user, [ApiKeyScope.NOTIFICATIONS_READ])).transport,
  );
  await through(notifications.listNotifications({}), 'ListNotifications');
  await through(notifications.getUnreadCount({}), 'GetUnreadCount');
  await through(notifications.getNotificationPreferences({}), 'GetNotificationPreferences');
  for (const [label, call] of [
    [
      'MarkRead',
      notifications.markRead({ target: { case: 'upToNotificationId', value: SOMEONE } }),
    ],
    ['GetPushConfig', notifications.getPushConfig({})],
    ['ListPushDevices', notifications.listPushDevices({})],
    ['UnregisterPushDevice', notifications.unregisterPushDevice({ pushDeviceId: SOMEONE })],
    ['ConfirmPushDelivery', notifications.confirmPushDelivery({ notificationIds: [SOMEONE] })],
  ] as const) {
    assert.equal(await codeOf(call), Code.PermissionDenied, label);
  }
});

test('UserAdminService refuses everyone but admins, and every API key', async () => {
  const now = h.clock.now().getTime();
  const window = { since: timestampFromMs(now - 86_400_000), until: timestampFromMs(now) };
  for (const role of ['user', 'triage', 'moderator'] as const) {
    const caller = await seedUser(h, { role });
    const admin = createClient(UserAdminService, h.as(caller.accessToken).transport);
    assert.equal(await codeOf(admin.getStats(window)), Code.PermissionDenied, role);
  }
  const staff = await seedUser(h, { role: 'admin' });
  const admin = createClient(UserAdminService, h.as(staff.accessToken).transport);
  assert.equal(await codeOf(admin.getStats({})), Code.InvalidArgument);
  await through(admin.getStats(window), 'GetStats');
  const key = await keyWith(staff, [ApiKeyScope.PROFILE_READ, ApiKeyScope.NOTIFICATIONS_READ]);
  const byKey = createClient(UserAdminService, h.as(key).transport);
  assert.equal(await codeOf(byKey.getStats(window)), Code.PermissionDenied);
});
