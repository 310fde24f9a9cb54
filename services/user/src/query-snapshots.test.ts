import path from 'node:path';
import { checkQuerySnapshots, createQueryRecorder, renderQueries } from '@kith/testkit';
import { expect, test } from 'vitest';
import * as profiles from './profiles/profile-store.js';
import type { ProfilesDb } from './profiles/profile-store.js';
import * as pushJobs from './push/push-job-store.js';
import * as push from './push/push-store.js';
import type { PushStoreDb } from './push/push-store.js';
import { createPageTokenCodec, withTables } from '@kith/db';
import type { PushJobsDb } from './push/push-job-store.js';
import type { Kysely } from 'kysely';

// Every store query, compiled for Postgres, is committed under services/user/queries/: a change
// to a store's SQL shows up in review as SQL. Accept a reviewed difference with
// KITH_UPDATE_QUERY_SNAPSHOTS=1.

const USER = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const OTHER = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c';
const AT = new Date('2026-12-03T16:00:00Z');
const pageTokens = createPageTokenCodec('query-snapshot-page-token-secret-0123456789');
type Calls = Record<string, (db: Kysely<ProfilesDb>) => Promise<unknown>>;
type PushCalls = Record<string, (db: Kysely<PushStoreDb>) => Promise<unknown>>;
const stores: Record<string, Calls> = {
  'profile-store': {
    insertProfile: (db) =>
      profiles.insertProfile(db, { userId: USER, username: 'ann', locale: 'en' }),
    deleteProfile: (db) => profiles.deleteProfile(db, USER),
    setDeletionScheduled: (db) =>
      profiles.setDeletionScheduled(db, USER, new Date('2026-12-31T00:00:00Z')),
  },
};
const pushStores: Record<string, PushCalls> = {
  'push-job-store': {
    enqueuePush: (db) =>
      pushJobs.enqueuePush(withTables<PushJobsDb>(db), {
        id: OTHER,
        notification_id: OTHER,
        recipient_id: USER,
        notification_type: 1,
        title: 'Ann followed you',
        body: '',
      }),
  },
  'push-store': {
    deviceByToken: (db) => push.deviceByToken(db, 2, 'fcm-token'),
    insertDevice: (db) =>
      push.insertDevice(db, {
        id: OTHER,
        user_id: USER,
        session_id: OTHER,
        platform: 2,
        token: 'fcm-token',
        web_push_p256dh: null,
        web_push_auth: null,
        apns_environment: null,
        app_id: null,
        device_label: 'phone',
        created_at: AT,
        last_seen_at: AT,
      }),
    refreshDevice: (db) =>
      push.refreshDevice(db, OTHER, {
        session_id: OTHER,
        web_push_p256dh: null,
        web_push_auth: null,
        apns_environment: null,
        app_id: null,
        device_label: 'phone',
        last_seen_at: AT,
      }),
    deleteDevice: (db) => push.deleteDevice(db, OTHER),
    deleteDeviceOfUser: (db) => push.deleteDeviceOfUser(db, { userId: USER, deviceId: OTHER }),
    deleteDevicesOfSession: (db) =>
      push.deleteDevicesOfSession(db, { userId: USER, sessionId: OTHER }),
    deleteDevicesOfUser: (db) => push.deleteDevicesOfUser(db, USER),
    deleteDevicesBeyond: (db) => push.deleteDevicesBeyond(db, { userId: USER, keep: 20 }),
    devicesPage: (db) =>
      push.devicesPage(pageTokens, db, {
        userId: USER,
        pageSize: 20,
        pageToken: pageTokens.encode({ keys: [AT], id: OTHER }, `user.ListPushDevices|${USER}`),
      }),
    deviceIdsOfUsers: (db) => push.deviceIdsOfUsers(db, [USER, OTHER]),
    claimPendingJobs: (db) => push.claimPendingJobs(db, 100),
    markJobsFannedOut: (db) => push.markJobsFannedOut(db, [OTHER], AT),
    pruneFannedOutJobs: (db) => push.pruneFannedOutJobs(db, AT, 1000),
    pushedNotificationsOf: (db) =>
      push.pushedNotificationsOf(db, { recipientId: USER, notificationIds: [OTHER] }),
    insertDeliveries: (db) =>
      push.insertDeliveries(db, [
        { id: OTHER, job_id: OTHER, device_id: OTHER, next_attempt_at: AT, created_at: AT },
      ]),
    claimDueDeliveries: (db) => push.claimDueDeliveries(db, { now: AT, limit: 50 }),
    leaseDeliveries: (db) => push.leaseDeliveries(db, [OTHER], AT),
    deliveriesToSend: (db) => push.deliveriesToSend(db, [OTHER]),
    deleteDelivery: (db) => push.deleteDelivery(db, OTHER),
    rescheduleDelivery: (db) =>
      push.rescheduleDelivery(db, { id: OTHER, nextAttemptAt: AT, lastError: 'FCM 503' }),
    insertDeadLetter: (db) =>
      push.insertDeadLetter(db, {
        id: OTHER,
        job_id: OTHER,
        notification_id: OTHER,
        recipient_id: USER,
        device_id: OTHER,
        platform: 2,
        attempts: 6,
        last_error: 'FCM 503',
        created_at: AT,
        dead_at: AT,
      }),
    deletePushesOfRecipient: (db) => push.deletePushesOfRecipient(db, USER),
  },
};

test('every function the user stores export is in the snapshot', () => {
  const exported = Object.entries(profiles)
    .filter(([, value]) => typeof value === 'function')
    .map(([name]) => name);
  expect(exported.sort()).toEqual(Object.keys(stores['profile-store']!).sort());
  for (const [name, module] of [
    ['push-job-store', pushJobs],
    ['push-store', push],
  ] as const) {
    const functions = Object.entries(module)
      .filter(([, value]) => typeof value === 'function')
      .map(([fn]) => fn);
    expect(functions.sort()).toEqual(Object.keys(pushStores[name]!).sort());
  }
});

test('the SQL of every user store matches services/user/queries/*.sql', async () => {
  const recorder = createQueryRecorder<ProfilesDb>('user');
  const rendered: Record<string, string> = {};
  for (const [store, calls] of Object.entries(stores)) {
    rendered[store] = await renderQueries(recorder, calls);
  }
  const pushRecorder = createQueryRecorder<PushStoreDb>('user');
  for (const [store, calls] of Object.entries(pushStores)) {
    rendered[store] = await renderQueries(pushRecorder, calls);
  }
  const dir = path.resolve(import.meta.dirname, '../queries');
  expect(() => checkQuerySnapshots(dir, rendered)).not.toThrow();
});
