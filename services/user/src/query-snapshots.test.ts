import path from 'node:path';
import { checkQuerySnapshots, createQueryRecorder, renderQueries } from '@kith/testkit';
import { expect, test } from 'vitest';
import { createPageTokenCodec, withTables } from '@kith/db';
import * as notifications from './notifications/notification-store.js';
import type { NotificationStoreDb } from './notifications/notification-store.js';
import * as profiles from './profiles/profile-store.js';
import type { ProfilesDb } from './profiles/profile-store.js';
import * as pushJobs from './push/push-job-store.js';
import type { PushJobsDb } from './push/push-job-store.js';
import * as push from './push/push-store.js';
import type { PushStoreDb } from './push/push-store.js';
import type { Kysely } from 'kysely';

// Every store query, compiled for Postgres, is committed under services/user/queries/: a change
// to a store's SQL shows up in review as SQL. Accept a reviewed difference with
// KITH_UPDATE_QUERY_SNAPSHOTS=1.

const USER = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
type Calls = Record<string, (db: Kysely<ProfilesDb>) => Promise<unknown>>;
const stores: Record<string, Calls> = {
  'profile-store': {
    insertProfile: (db) =>
      profiles.insertProfile(db, { userId: USER, username: 'ann', locale: 'en' }),
    deleteProfile: (db) => profiles.deleteProfile(db, USER),
    setDeletionScheduled: (db) =>
      profiles.setDeletionScheduled(db, USER, new Date('2026-12-31T00:00:00Z')),
  },
};

// The notifications store, on a recorder whose every query answers one row (so a function
// that goes on after a row, as MarkRead up to an id does, shows its second query too).
const OTHER = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c';
const AT = new Date('2026-12-03T12:00:00Z');
const codec = createPageTokenCodec('query-snapshot-page-token-secret-32b');
const notificationCalls: Record<string, (db: Kysely<NotificationStoreDb>) => Promise<unknown>> = {
  insertNotification: (db) =>
    notifications.insertNotification(db, {
      id: OTHER,
      recipient_id: USER,
      type: 7,
      group_key: 'k',
      group_started_at: AT,
      actor_id: OTHER,
      subject_kind: 'postId',
      subject_id: OTHER,
      within_circle_id: null,
      preview: '',
      filtered: false,
      read: false,
      source_event_id: OTHER,
      created_at: AT,
    }),
  openGroup: (db) =>
    notifications.openGroup(db, { recipientId: USER, type: 7, subjectId: OTHER, since: AT }),
  typeRecordedFor: (db) => notifications.typeRecordedFor(db, OTHER, [14, 19, 13]),
  deleteActorNotifications: (db) =>
    notifications.deleteActorNotifications(db, {
      recipientId: USER,
      type: 7,
      subjectId: OTHER,
      actorId: OTHER,
    }),
  listGroups: (db) =>
    notifications.listGroups(
      db,
      { recipientId: USER, filtered: false, types: [4, 7], unreadOnly: true },
      {
        pageSize: 20,
        pageToken: codec.encode({ keys: [AT], id: OTHER }, 'b'),
        newer: true,
        codec,
        binding: 'b',
      },
    ),
  groupActors: (db) => notifications.groupActors(db, USER, ['k']),
  countUnread: (db) => notifications.countUnread(db, USER),
  markReadUpTo: (db) => notifications.markReadUpTo(db, USER, OTHER),
  markGroupsRead: (db) => notifications.markGroupsRead(db, USER, ['k']),
  findPreferences: (db) => notifications.findPreferences(db, USER),
  lockPreferences: (db) => notifications.lockPreferences(db, USER),
  savePreferences: (db) =>
    notifications.savePreferences(db, USER, {
      per_type: { '7': { in_app: true, push: false, email: false } },
      from_not_following: 1,
      from_not_followers: 1,
      from_new_accounts: 2,
      from_limited_accounts: 2,
      quiet_start_minute: 1320,
      quiet_end_minute: 420,
      quiet_time_zone: 'Europe/Berlin',
      quiet_hours_enabled: true,
      updated_at: AT,
    }),
  settingsTimeZone: (db) => notifications.settingsTimeZone(db, USER),
  profileCreatedAt: (db) => notifications.profileCreatedAt(db, USER),
  usernameOf: (db) => notifications.usernameOf(db, USER),
  upsertCircleQuietHours: (db) =>
    notifications.upsertCircleQuietHours(db, {
      circle_id: OTHER,
      user_id: USER,
      start_minute: 0,
      end_minute: 0,
      time_zone: 'UTC',
      enabled: true,
      version: '2',
    }),
  deleteCircleQuietHours: (db) => notifications.deleteCircleQuietHours(db, USER, OTHER),
  circleQuietHoursOf: (db) => notifications.circleQuietHoursOf(db, USER, [OTHER]),
};

// The push stores.
type PushCalls = Record<string, (db: Kysely<PushStoreDb>) => Promise<unknown>>;
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
      push.devicesPage(codec, db, {
        userId: USER,
        pageSize: 20,
        pageToken: codec.encode({ keys: [AT], id: OTHER }, `user.ListPushDevices|${USER}`),
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

test('every function the notification store exports is in the snapshot', () => {
  const exported = Object.entries(notifications)
    .filter(([, value]) => typeof value === 'function')
    .map(([name]) => name);
  expect(exported.sort()).toEqual(Object.keys(notificationCalls).sort());
});

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
  const row = { created_at: AT, id: OTHER, version: 1, per_type: {} };
  const answering = createQueryRecorder<NotificationStoreDb>('user', { rows: () => [row] });
  rendered['notification-store'] = await renderQueries(answering, notificationCalls);
  const pushRecorder = createQueryRecorder<PushStoreDb>('user');
  for (const [store, calls] of Object.entries(pushStores)) {
    rendered[store] = await renderQueries(pushRecorder, calls);
  }
  const dir = path.resolve(import.meta.dirname, '../queries');
  expect(() => checkQuerySnapshots(dir, rendered)).not.toThrow();
});
