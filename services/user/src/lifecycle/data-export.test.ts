import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { Code, createClient } from '@connectrpc/connect';
import { NotificationService, NotificationType } from '@kith/gen/kith/user/v1/notification_pb.js';
import { strFromU8, unzipSync } from 'fflate';
import { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';
import { DataExportStatus } from '@kith/gen/kith/user/v1/types_pb.js';
import {
  codeOf,
  rejectsWith,
  seedUser,
  startAuthHarness,
  startSession,
} from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import type { TestUser } from '../../../auth/src/testing/index.js';
import { withTables } from '@kith/db';
import { insertProfile } from '../profiles/profile-store.js';
import type { ProfilesDb } from '../profiles/profile-store.js';
import { sha256Hex } from './archive.js';
import { EXPORT_INTERVAL_MS, PART_DEADLINE_MS } from './deps.js';
import { DOWNLOAD_LINK_TTL_MS } from './download-link.js';
import { sweepDataExports } from './export-saga.js';
import { partsOf } from './lifecycle-store.js';
import type { LifecycleDb } from './lifecycle-store.js';
import type { Manifest } from './archive.js';
import { archiveObjectKey, partObjectKey } from './participants.js';
import {
  MISSING_SERVICES,
  eventually,
  publishPart,
  STAND_IN_PARTICIPANTS,
  startLifecycleHarness,
  userOutbox,
} from './testing/harness.js';
import type { LifecycleHarness } from './testing/harness.js';

const MINUTE = 60_000;

let t: LifecycleHarness<AuthHarness>;
beforeAll(async () => {
  // Stand-ins for post, circle, support and moderation take part here (they do not exist yet).
  t = await startLifecycleHarness(startAuthHarness, { participants: STAND_IN_PARTICIPANTS });
});
afterAll(async () => {
  await t?.stop();
});

/** A signed-in user with a profile (the projection auth's sign-up event would have made). */
async function member(): Promise<TestUser> {
  const user = await seedUser(t.h);
  await insertProfile(withTables<ProfilesDb>(t.app.database.db), {
    userId: user.userId,
    username: user.username,
    locale: 'en',
  });
  return user;
}

/** The user's client on a session started now (access tokens live minutes; tests move time). */
async function as(user: TestUser) {
  return t.users((await startSession(t.h, user)).accessToken);
}

async function statusOf(user: TestUser, dataExportId: string) {
  return (await (await as(user)).getDataExport({ dataExportId })).dataExport!;
}

/** Every stand-in's part but post's (auth and the user service write their own). */
async function otherParts(userId: string, dataExportId: string) {
  for (const service of MISSING_SERVICES.filter((s) => s !== KithService.POST)) {
    await publishPart(t, service, {
      userId,
      dataExportId,
      files: { [`${KithService[service].toLowerCase()}_items`]: [{ owner: userId }] },
    });
  }
}

async function allOtherParts(userId: string, dataExportId: string) {
  await otherParts(userId, dataExportId);
  for (const service of [KithService.POST]) {
    await publishPart(t, service, {
      userId,
      dataExportId,
      files: { [`${KithService[service].toLowerCase()}_items`]: [{ owner: userId }] },
    });
  }
}

async function readyExport(user: TestUser): Promise<string> {
  const { dataExport } = await (await as(user)).requestDataExport({});
  const id = dataExport!.dataExportId;
  await allOtherParts(user.userId, id);
  await eventually(
    async () => (await statusOf(user, id)).status === DataExportStatus.READY,
    'the export to be READY',
  );
  return id;
}

/** Fetches a download link against the harness (the link's origin is the configured one). */
async function download(url: string): Promise<Response> {
  const link = new URL(url);
  return fetch(`${t.h.url}${link.pathname}${link.search}`);
}

test('one data export per 7 days: a second request is refused until next_request_allowed_at', async () => {
  const user = await member();
  const now = t.h.clock.now();
  const { dataExport } = await (await as(user)).requestDataExport({});
  assert.equal(dataExport?.status, DataExportStatus.ASSEMBLING);
  assert.equal(
    timestampDate(dataExport!.nextRequestAllowedAt!).getTime(),
    now.getTime() + EXPORT_INTERVAL_MS,
  );
  const err = await rejectsWith((await as(user)).requestDataExport({}), Code.FailedPrecondition);
  assert.match(err.rawMessage, /7 days/);
  const payloads = await userOutbox(t);
  assert.ok(
    payloads.some(
      (p) =>
        p.case === 'userExportRequested' &&
        p.value.userId === user.userId &&
        p.value.dataExportId === dataExport!.dataExportId,
    ),
  );
});

test('an export missing a part after 24 h fails, and a failed export does not count against the limit', async () => {
  const user = await member();
  const { dataExport } = await (await as(user)).requestDataExport({});
  const id = dataExport!.dataExportId;
  // Auth, the user service and circle answer: three services never send their part.
  await publishPart(t, KithService.CIRCLE, { userId: user.userId, dataExportId: id, files: {} });
  // Every part that will come is in before the deadline passes (none is written after it).
  await eventually(
    async () => (await partsOf(withTables<LifecycleDb>(t.app.database.db), id)).length === 3,
    "auth's, the user service's and circle's parts",
  );
  t.h.clock.advance(PART_DEADLINE_MS - MINUTE);
  await sweepDataExports(t.lifecycle);
  assert.equal((await statusOf(user, id)).status, DataExportStatus.ASSEMBLING);
  t.h.clock.advance(2 * MINUTE);
  await sweepDataExports(t.lifecycle);
  assert.equal((await statusOf(user, id)).status, DataExportStatus.FAILED);
  // Its parts are gone from the bucket.
  assert.equal(await t.lifecycle.blobs.get(partObjectKey(id, KithService.AUTH)), undefined);
  assert.equal(await t.lifecycle.blobs.get(partObjectKey(id, KithService.USER)), undefined);
  // The user may ask again at once.
  const again = await (await as(user)).requestDataExport({});
  assert.equal(again.dataExport?.status, DataExportStatus.ASSEMBLING);
  assert.notEqual(again.dataExport?.dataExportId, id);
});

test('the archive holds every service part under its folder, every user category and a manifest whose hashes match', async () => {
  const user = await member();
  const id = await readyExport(user);
  const ready = await statusOf(user, id);
  assert.ok(ready.downloadUrl.startsWith('http'));
  // The owner is told, in the transaction that made it READY.
  const inbox = await createClient(
    NotificationService,
    t.h.as((await startSession(t.h, user)).accessToken).transport,
  ).listNotifications({});
  const told = inbox.groups.map((g) => [g.type, g.subject?.kind]);
  assert.deepEqual(told, [
    [NotificationType.DATA_EXPORT_READY, { case: 'dataExportId', value: id }],
  ]);
  assert.ok(ready.sizeBytes > 0n);
  assert.ok(ready.readyAt && ready.expiresAt);

  const res = await download(ready.downloadUrl);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/zip');
  const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
  const manifest = JSON.parse(strFromU8(files['manifest.json']!)) as Manifest;
  assert.equal(manifest.data_export_id, id);
  assert.deepEqual([...manifest.services].sort(), [
    'auth',
    'circle',
    'moderation',
    'post',
    'support',
    'user',
  ]);
  for (const category of [
    'profile',
    'settings',
    'contact',
    'following',
    'followers',
    'follow_requests',
    'blocks',
    'mutes',
    'data_exports',
  ]) {
    assert.ok(files[`user/${category}.json`], `user/${category}.json is in the archive`);
  }
  for (const service of ['post', 'circle', 'support', 'moderation']) {
    assert.ok(files[`${service}/${service}_items.json`], `${service}'s part is nested`);
  }
  assert.ok(files['auth/account.json'], "auth's own part is nested");
  // Every file but the manifest is listed, with its true hash and size.
  const listed = manifest.files.map((f) => f.path).sort();
  const present = Object.keys(files)
    .filter((name) => name !== 'manifest.json')
    .sort();
  assert.deepEqual(listed, present);
  for (const file of manifest.files) {
    assert.equal(sha256Hex(files[file.path]!), file.sha256, file.path);
    assert.equal(files[file.path]!.length, file.size_bytes, file.path);
  }
  const profile = JSON.parse(strFromU8(files['user/profile.json']!));
  assert.equal(profile.username, user.username);
});

test("the user's part holds their own relationships and no other user's private data", async () => {
  const user = await member();
  const follower = await member();
  const followed = await member();
  const blockedByUser = await member();
  const blocksUser = await member();
  const mutesUser = await member();
  const db = t.app.database.db;
  const now = t.h.clock.now();
  await db
    .insertInto('follows')
    .values([
      { follower_id: follower.userId, followee_id: user.userId, created_at: now },
      { follower_id: user.userId, followee_id: followed.userId, created_at: now },
    ])
    .execute();
  await db
    .insertInto('blocks')
    .values([
      { blocker_id: user.userId, blocked_id: blockedByUser.userId, created_at: now },
      // The other side of a block: the user must never learn of it.
      { blocker_id: blocksUser.userId, blocked_id: user.userId, created_at: now },
    ])
    .execute();
  await db
    .insertInto('mutes')
    .values({
      muter_id: mutesUser.userId,
      muted_id: user.userId,
      include_notifications: true,
      expires_at: null,
      created_at: now,
    })
    .execute();
  // A follower's private settings and address.
  await db
    .insertInto('settings')
    .values([
      { user_id: user.userId, time_zone: 'Europe/Berlin' },
      { user_id: follower.userId, time_zone: 'Pacific/Chatham' },
    ])
    .execute();
  await db
    .insertInto('contacts')
    .values([
      { user_id: user.userId, email: user.email },
      { user_id: follower.userId, email: follower.email },
    ])
    .execute();

  const id = await readyExport(user);
  const res = await download((await statusOf(user, id)).downloadUrl);
  const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
  const part = (category: string) => JSON.parse(strFromU8(files[`user/${category}.json`]!));
  assert.deepEqual(
    part('followers').map((f: { user_id: string }) => f.user_id),
    [follower.userId],
  );
  assert.deepEqual(
    part('following').map((f: { user_id: string }) => f.user_id),
    [followed.userId],
  );
  assert.deepEqual(
    part('blocks').map((b: { user_id: string }) => b.user_id),
    [blockedByUser.userId],
  );
  assert.deepEqual(part('mutes'), []);
  assert.equal(part('settings').time_zone, 'Europe/Berlin');
  assert.equal(part('contact').email, user.email);

  const everything = Object.entries(files)
    .filter(([name]) => name.startsWith('user/'))
    .map(([, data]) => strFromU8(data))
    .join('\n');
  assert.ok(!everything.includes(blocksUser.userId), 'who blocks the user is not revealed');
  assert.ok(!everything.includes(mutesUser.userId), 'who mutes the user is not revealed');
  assert.ok(!everything.includes(follower.email), "a follower's address is absent");
  assert.ok(!everything.includes('Pacific/Chatham'), "a follower's settings are absent");
  assert.ok(!everything.includes(follower.username), "a follower's profile is absent");
});

test('the download link works once, expires, and refuses any change to it', async () => {
  const user = await member();
  const id = await readyExport(user);
  const first = (await statusOf(user, id)).downloadUrl;

  const tampered = new URL(first);
  tampered.searchParams.set('exp', String(Number(tampered.searchParams.get('exp')) + 3_600_000));
  assert.equal((await download(tampered.toString())).status, 403);
  const otherUser = new URL(first);
  otherUser.searchParams.set('user', (await member()).userId);
  assert.equal((await download(otherUser.toString())).status, 403);

  t.h.clock.advance(DOWNLOAD_LINK_TTL_MS + 1000);
  assert.equal((await download(first)).status, 403, 'an expired link is refused');
  assert.equal((await statusOf(user, id)).status, DataExportStatus.READY);

  const fresh = (await statusOf(user, id)).downloadUrl;
  assert.notEqual(fresh, first);
  assert.equal((await download(fresh)).status, 200);
  assert.equal((await download(fresh)).status, 410, 'the archive downloads once');

  const after = await statusOf(user, id);
  assert.equal(after.status, DataExportStatus.DOWNLOADED);
  assert.equal(after.downloadUrl, '');
  assert.equal(await t.lifecycle.blobs.get(archiveObjectKey(id)), undefined);
});

test('an archive not downloaded in time expires and is deleted', async () => {
  const user = await member();
  const id = await readyExport(user);
  const url = (await statusOf(user, id)).downloadUrl;
  t.h.clock.advance(8 * 24 * 3_600_000);
  await sweepDataExports(t.lifecycle);
  const after = await statusOf(user, id);
  assert.equal(after.status, DataExportStatus.EXPIRED);
  assert.equal(after.downloadUrl, '');
  assert.equal(await t.lifecycle.blobs.get(archiveObjectKey(id)), undefined);
  assert.equal((await download(url)).status, 403);
});

test('a part whose bytes do not match its announced sha256 fails the export', async () => {
  const user = await member();
  const { dataExport } = await (await as(user)).requestDataExport({});
  const id = dataExport!.dataExportId;
  for (const service of [KithService.CIRCLE, KithService.SUPPORT]) {
    await publishPart(t, service, { userId: user.userId, dataExportId: id, files: {} });
  }
  await publishPart(t, KithService.MODERATION, {
    userId: user.userId,
    dataExportId: id,
    files: {},
    sha256: sha256Hex(new Uint8Array([1, 2, 3])),
  });
  await publishPart(t, KithService.POST, { userId: user.userId, dataExportId: id, files: {} });
  await eventually(
    async () => (await statusOf(user, id)).status === DataExportStatus.FAILED,
    'the export to fail',
  );
  assert.equal(await t.lifecycle.blobs.get(archiveObjectKey(id)), undefined);
});

test('a part announced for another user or at another key is not taken', async () => {
  const user = await member();
  const stranger = await member();
  const { dataExport } = await (await as(user)).requestDataExport({});
  const id = dataExport!.dataExportId;
  await otherParts(user.userId, id);
  // Every part is in but the post service's; these two must not stand in for it.
  await eventually(
    async () =>
      (
        await t.app.database.db
          .selectFrom('data_export_parts')
          .select('service')
          .where('data_export_id', '=', id)
          .execute()
      ).length === 5,
    'five parts',
  );
  await publishPart(t, KithService.POST, { userId: stranger.userId, dataExportId: id, files: {} });
  await publishPart(t, KithService.POST, {
    userId: user.userId,
    dataExportId: id,
    files: {},
    // Another object of the export: a part may only be read where the saga puts it.
    objectKey: `exports/${id}/user.zip`,
  });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await statusOf(user, id)).status, DataExportStatus.ASSEMBLING);
});

test("GetDataExport answers NotFound for another user's export and for an unknown id", async () => {
  const owner = await member();
  const other = await member();
  const { dataExport } = await (await as(owner)).requestDataExport({});
  const id = dataExport!.dataExportId;
  assert.equal(await codeOf((await as(other)).getDataExport({ dataExportId: id })), Code.NotFound);
  assert.equal(
    await codeOf(
      (await as(owner)).getDataExport({
        dataExportId: '0190f2f6-6f3c-7cc0-8b5c-7a0000000001',
      }),
    ),
    Code.NotFound,
  );
  assert.equal(await codeOf(t.users('').getDataExport({ dataExportId: id })), Code.Unauthenticated);
});

test('a retried RequestDataExport with the same idempotency key answers the first export', async () => {
  const user = await member();
  const client = await as(user);
  const first = await client.requestDataExport({ idempotencyKey: 'export-retry-0001' });
  const retry = await client.requestDataExport({ idempotencyKey: 'export-retry-0001' });
  assert.equal(retry.dataExport?.dataExportId, first.dataExport?.dataExportId);
  assert.equal(
    await codeOf(client.requestDataExport({ idempotencyKey: 'export-retry-0002' })),
    Code.FailedPrecondition,
  );
});
