import path from 'node:path';
import { checkQuerySnapshots, createQueryRecorder, renderQueries } from '@kith/testkit';
import { expect, test } from 'vitest';
import { createPageTokenCodec, withTables } from '@kith/db';
import type { Trx } from '@kith/db';
import * as notifications from './notifications/notification-store.js';
import type { NotificationStoreDb } from './notifications/notification-store.js';
import * as blockStore from './graph/block-store.js';
import * as followStore from './graph/follow-store.js';
import { graphDb, sharedGraph } from './graph/graph-db.js';
import * as graphProfiles from './graph/graph-profile-store.js';
import * as muteStore from './graph/mute-store.js';
import * as relationships from './graph/relationship-store.js';
import * as profiles from './profiles/profile-store.js';
import * as search from './profiles/search-store.js';
import * as settings from './profiles/settings-store.js';
import type { GraphDb } from './graph/relationship-store.js';
import type { ProfilesDb } from './profiles/profile-store.js';
import * as pushJobs from './push/push-job-store.js';
import type { PushJobsDb } from './push/push-job-store.js';
import * as push from './push/push-store.js';
import type { PushStoreDb } from './push/push-store.js';
import type { Kysely, Transaction } from 'kysely';
import type { UserDatabase } from './db/schema.js';
import * as eraseStore from './lifecycle/erase-store.js';
import * as lifecycleStore from './lifecycle/lifecycle-store.js';
import type { LifecycleDb } from './lifecycle/lifecycle-store.js';
import * as ownData from './lifecycle/own-data-store.js';
import * as statsStore from './stats/stats-store.js';
import type { StatsDb } from './stats/stats-store.js';

// Every store query, compiled for Postgres, is committed under services/user/queries/: a change
// to a store's SQL shows up in review as SQL. Accept a reviewed difference with
// KITH_UPDATE_QUERY_SNAPSHOTS=1.

const USER = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const OTHER = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c';
const NOW = new Date('2026-12-03T12:00:00.000Z');
const codec = createPageTokenCodec('query-snapshot-secret-of-32-bytes!');
const page = { pageSize: 20, pageToken: '', codec, now: NOW };
/** What every query answers: one row, so a store that goes on after a change shows it all. */
const ROW = {
  followee_id: OTHER,
  follower_id: USER,
  requester_id: USER,
  target_id: OTHER,
  blocker_id: USER,
  muter_id: USER,
  muted_id: OTHER,
  user_id: OTHER,
  version: '1',
};
type Calls = Record<string, (db: Kysely<ProfilesDb>) => Promise<unknown>>;
/** The recorder as a transaction: the stores that note work for after the commit need one. */
const asTrx = <DB>(db: Kysely<DB>): Trx<DB> =>
  Object.assign(db as unknown as Transaction<DB>, { onCommit() {}, notifyOnCommit() {} });
const stores: Record<string, Calls> = {
  'relationship-store': {
    relationshipsOf: (db) => relationships.relationshipsOf(sharedGraph(db), USER, [OTHER], NOW),
    relationshipsAndVisibilityOf: (db) =>
      relationships.relationshipsAndVisibilityOf(graphDb(db), USER, [USER, OTHER], NOW),
    followCounts: (db) => relationships.followCounts(sharedGraph(db), [USER]),
    isFollowing: (db) => relationships.isFollowing(sharedGraph(db), USER, OTHER),
    nextEdgeVersion: (db) => relationships.nextEdgeVersion(sharedGraph(db), 'follow', USER, OTHER),
    lockPair: (db) => relationships.lockPair(sharedGraph(db), USER, OTHER),
  },
  'graph-profile-store': {
    visibleProfile: (db) => graphProfiles.visibleProfile(graphDb(db), OTHER, USER, NOW),
    profileWithBlocks: (db) => graphProfiles.profileWithBlocks(graphDb(db), OTHER, USER, NOW),
  },
  'follow-store': {
    insertFollow: (db) => followStore.insertFollow(asTrx(graphDb(db)), USER, OTHER, NOW),
    deleteFollow: (db) => followStore.deleteFollow(asTrx(graphDb(db)), USER, OTHER),
    insertFollowRequest: (db) => followStore.insertFollowRequest(graphDb(db), USER, OTHER, NOW),
    deleteFollowRequest: (db) => followStore.deleteFollowRequest(graphDb(db), USER, OTHER),
    followListPage: (db) =>
      followStore.followListPage(graphDb(db), {
        ...page,
        userId: OTHER,
        viewerId: USER,
        side: 'followers',
      }),
    followRequestsPage: (db) =>
      followStore.followRequestsPage(graphDb(db), { ...page, targetId: USER }),
    deleteFollowsBetween: (db) => followStore.deleteFollowsBetween(asTrx(graphDb(db)), USER, OTHER),
    deleteFollowRequestsBetween: (db) =>
      followStore.deleteFollowRequestsBetween(graphDb(db), USER, OTHER),
    pendingRequesterIds: (db) => followStore.pendingRequesterIds(graphDb(db), USER),
  },
  'block-store': {
    insertBlock: (db) => blockStore.insertBlock(graphDb(db), USER, OTHER, NOW),
    deleteBlock: (db) => blockStore.deleteBlock(graphDb(db), USER, OTHER),
    blocksPage: (db) => blockStore.blocksPage(graphDb(db), { ...page, blockerId: USER }),
  },
  'mute-store': {
    upsertMute: (db) =>
      muteStore.upsertMute(graphDb(db), {
        muterId: USER,
        mutedId: OTHER,
        includeNotifications: true,
        expiresAt: null,
        now: NOW,
      }),
    deleteMute: (db) => muteStore.deleteMute(graphDb(db), USER, OTHER),
    deleteExpiredMutes: (db) => muteStore.deleteExpiredMutes(graphDb(db), NOW, 200),
    mutesPage: (db) => muteStore.mutesPage(graphDb(db), { ...page, muterId: USER }),
  },
};

// The notifications store, on a recorder whose every query answers one row (so a function
// that goes on after a row, as MarkRead up to an id does, shows its second query too).
const AT = new Date('2026-12-03T12:00:00Z');
const notificationCalls: Record<string, (db: Kysely<NotificationStoreDb>) => Promise<unknown>> = {
  insertNotifications: (db) =>
    notifications.insertNotifications(db, [
      {
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
      },
    ]),
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
  preferencesOf: (db) => notifications.preferencesOf(db, [USER, OTHER]),
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
  actorStanding: (db) => notifications.actorStanding(db, USER, OTHER, NOW),
  usernamesOf: (db) => notifications.usernamesOf(db, [USER, OTHER]),
  contactEmailsOf: (db) => notifications.contactEmailsOf(db, [USER, OTHER]),
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
    enqueuePushes: (db) =>
      pushJobs.enqueuePushes(withTables<PushJobsDb>(db), [
        {
          id: OTHER,
          notification_id: OTHER,
          recipient_id: USER,
          notification_type: 1,
          title: 'Ann followed you',
          body: '',
        },
      ]),
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
  },
};

test('every function the notification store exports is in the snapshot', () => {
  const exported = Object.entries(notifications)
    .filter(([, value]) => typeof value === 'function')
    .map(([name]) => name);
  expect(exported.sort()).toEqual(Object.keys(notificationCalls).sort());
});

// The lifecycle area's stores, on the whole user schema.
const EXPORT = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a60';
type UserCalls = Record<string, (db: Kysely<UserDatabase>) => Promise<unknown>>;
const lc = (db: Kysely<UserDatabase>) => withTables<LifecycleDb>(db);
const lifecycleStores: Record<string, UserCalls> = {
  'lifecycle-store': {
    lockExportsOf: (db) => lifecycleStore.lockExportsOf(lc(db), USER),
    latestCountingExport: (db) => lifecycleStore.latestCountingExport(lc(db), USER, 5),
    insertDataExport: (db) =>
      lifecycleStore.insertDataExport(lc(db), {
        id: EXPORT,
        userId: USER,
        status: 1,
        requestedAt: AT,
      }),
    exportOf: (db) => lifecycleStore.exportOf(lc(db), USER, EXPORT),
    lockExport: (db) => lifecycleStore.lockExport(lc(db), EXPORT),
    insertExportPart: (db) =>
      lifecycleStore.insertExportPart(lc(db), {
        data_export_id: EXPORT,
        service: 2,
        user_id: USER,
        object_key: `exports/${EXPORT}/user.zip`,
        sha256: '0'.repeat(64),
        size_bytes: 10,
        received_at: AT,
      }),
    partsOf: (db) => lifecycleStore.partsOf(lc(db), EXPORT),
    markExportReady: (db) =>
      lifecycleStore.markExportReady(lc(db), EXPORT, {
        status: 2,
        readyAt: AT,
        expiresAt: AT,
        sizeBytes: 10,
        archiveKey: `exports/${EXPORT}/archive.zip`,
      }),
    moveExports: (db) =>
      lifecycleStore.moveExports(lc(db), {
        from: 2,
        to: 3,
        ids: [EXPORT],
        stamp: 'downloaded_at',
        at: AT,
      }),
    exportsDue: (db) =>
      lifecycleStore.exportsDue(lc(db), {
        status: 1,
        column: 'requested_at',
        before: AT,
        limit: 100,
      }),
    deletionOf: (db) => lifecycleStore.deletionOf(lc(db), USER, { lock: true }),
    insertDeletion: (db) =>
      lifecycleStore.insertDeletion(lc(db), { userId: USER, requestedAt: AT, scheduledFor: AT }),
    deleteGraceDeletion: (db) => lifecycleStore.deleteGraceDeletion(lc(db), USER),
    insertDeletionFeedback: (db) =>
      lifecycleStore.insertDeletionFeedback(lc(db), {
        id: EXPORT,
        reason: 'moving on',
        receivedOn: '2026-12-03',
      }),
    deletionsToErase: (db) => lifecycleStore.deletionsToErase(lc(db), AT, 20),
    erasuresToRepublish: (db) => lifecycleStore.erasuresToRepublish(lc(db), AT, 20),
    publishedErasures: (db) => lifecycleStore.publishedErasures(lc(db), 100),
    markErasing: (db) => lifecycleStore.markErasing(lc(db), USER, AT),
    markErasedPublished: (db) => lifecycleStore.markErasedPublished(lc(db), USER, AT),
    markErasureAlerted: (db) => lifecycleStore.markErasureAlerted(lc(db), USER, AT),
    insertErasureAck: (db) =>
      lifecycleStore.insertErasureAck(lc(db), { userId: USER, service: 1, at: AT }),
    acknowledgedServices: (db) => lifecycleStore.acknowledgedServices(lc(db), USER),
    deleteErasureSaga: (db) => lifecycleStore.deleteErasureSaga(lc(db), USER),
  },
  'erase-store': {
    eraseFollows: (db) => eraseStore.eraseFollows(asTrx(db), USER),
    eraseQueuedMail: (db) => eraseStore.eraseQueuedMail(db, USER),
    eraseRows: (db) =>
      eraseStore.eraseRows(db, 'user', 'blocks', ['blocker_id', 'blocked_id'], USER),
    countRows: (db) => eraseStore.countRows(db, 'user', 'mutes', ['muter_id', 'muted_id'], USER),
    uuidColumnsOfSchema: (db) => eraseStore.uuidColumnsOfSchema(db, 'user'),
    tablesOfSchema: (db) => eraseStore.tablesOfSchema(db, 'user'),
  },
  'own-data-store': {
    ownProfile: (db) => ownData.ownProfile(db, USER),
    ownSettings: (db) => ownData.ownSettings(db, USER),
    ownContact: (db) => ownData.ownContact(db, USER),
    ownFollowing: (db) => ownData.ownFollowing(db, USER),
    ownFollowers: (db) => ownData.ownFollowers(db, USER),
    ownFollowRequests: (db) => ownData.ownFollowRequests(db, USER),
    ownBlocks: (db) => ownData.ownBlocks(db, USER),
    ownMutes: (db) => ownData.ownMutes(db, USER),
    ownDataExports: (db) => ownData.ownDataExports(db, USER),
  },
};
const lifecycleModules: Record<string, Record<string, unknown>> = {
  'lifecycle-store': lifecycleStore,
  'erase-store': eraseStore,
  'own-data-store': ownData,
};

test('every function the lifecycle stores export is in the snapshot', () => {
  for (const [store, module] of Object.entries(lifecycleModules)) {
    const exported = Object.entries(module)
      .filter(([, value]) => typeof value === 'function')
      .map(([name]) => name);
    expect(exported.sort(), store).toEqual(Object.keys(lifecycleStores[store]!).sort());
  }
});

/** Store modules whose every exported function must be in `stores`. */
const graphModules: Record<string, Record<string, unknown>> = {
  'relationship-store': relationships,
  'graph-profile-store': graphProfiles,
  'follow-store': followStore,
  'block-store': blockStore,
  'mute-store': muteStore,
};

test('every function the graph stores export is in the snapshot', () => {
  for (const [store, module] of Object.entries(graphModules)) {
    const exported = Object.entries(module)
      .filter(([, value]) => typeof value === 'function')
      .map(([name]) => name);
    expect(exported.sort(), store).toEqual(Object.keys(stores[store]!).sort());
  }
});

const P = (db: Kysely<UserDatabase>) => withTables<ProfilesDb>(db);
const G = (db: Kysely<UserDatabase>) => withTables<GraphDb>(db);
const S = (db: Kysely<UserDatabase>) => withTables<ProfilesDb & GraphDb>(db);
const searchInput = {
  viewerId: USER,
  text: 'ann',
  trigrams: ['  a', ' an', 'ann', 'nn '],
  usernameOnly: false,
  followingOnly: false,
  now: NOW,
  pageSize: 20,
};
// The profiles area's stores, on the whole user schema, answering no rows.
const profileStores: Record<string, UserCalls> = {
  'profile-store': {
    insertProfile: (db) =>
      profiles.insertProfile(P(db), { userId: USER, username: 'ann', locale: 'en' }),
    deleteProfile: (db) => profiles.deleteProfile(P(db), USER),
    setDeletionScheduled: (db) =>
      profiles.setDeletionScheduled(P(db), USER, new Date('2026-12-31T00:00:00Z')),
    findProfile: (db) => profiles.findProfile(P(db), USER),
    findProfileIdByUsername: (db) => profiles.findProfileIdByUsername(P(db), 'Ann'),
    findProfiles: (db) => profiles.findProfiles(P(db), [USER, OTHER]),
    lockProfile: (db) => profiles.lockProfile(P(db), USER),
    updateProfileFields: (db) =>
      profiles.updateProfileFields(
        P(db),
        USER,
        {
          displayName: 'Ann B',
          bio: 'hi',
          avatarMediaId: OTHER,
          avatarUrl: 'https://cdn.test/a.png',
          links: [{ label: 'site', url: 'https://ann.test' }],
          locked: true,
          hideFollowLists: true,
        },
        NOW,
      ),
    setProfileDisabled: (db) => profiles.setProfileDisabled(P(db), USER, NOW),
    applyAccountEnforcement: (db) =>
      profiles.applyAccountEnforcement(P(db), USER, 2n, {
        limited: false,
        suspended: true,
        suspendedUntil: NOW,
        banned: false,
      }),
    blockersOf: (db) => profiles.blockersOf(G(db), USER, [OTHER]),
    deleteContact: (db) => profiles.deleteContact(P(db), USER),
    upsertContactEmail: (db) => profiles.upsertContactEmail(P(db), USER, 'ann@example.test', NOW),
  },
  'settings-store': {
    insertSettings: (db) => settings.insertSettings(P(db), { userId: USER, locale: 'en' }),
    deleteSettings: (db) => settings.deleteSettings(P(db), USER),
    findSettings: (db) => settings.findSettings(P(db), USER, { forUpdate: true }),
    updateSettings: (db) =>
      settings.updateSettings(
        P(db),
        USER,
        {
          locale: 'de',
          timeZone: 'Europe/Berlin',
          discoverable: false,
          defaultAudience: 2,
          showSensitiveMedia: true,
          mentionPolicy: 2,
          contentLanguages: ['de'],
          indexable: true,
        },
        NOW,
      ),
  },
  'search-store': {
    searchProfiles: (db) => search.searchProfiles(S(db), searchInput),
    searchProfilesFollowingUsernames: (db) =>
      search.searchProfiles(S(db), {
        ...searchInput,
        usernameOnly: true,
        followingOnly: true,
        cursor: { keys: [300], id: OTHER },
      }),
  },
};

const profileModules: Record<string, Record<string, unknown>> = {
  'profile-store': profiles,
  'settings-store': settings,
  'search-store': search,
};

test('every function the profile stores export is in the snapshot', () => {
  for (const [store, module] of Object.entries(profileModules)) {
    const exported = Object.entries(module)
      .filter(([, value]) => typeof value === 'function')
      .map(([name]) => name);
    const covered = Object.keys(profileStores[store]!).filter((name) => name in module);
    expect(exported.sort(), store).toEqual(covered.sort());
  }
});

test('every function the push stores export is in the snapshot', () => {
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

/** The stats store (GetStats and its consumers). */
const statsCalls: Record<string, (db: Kysely<StatsDb>) => Promise<unknown>> = {
  bump: (db) => statsStore.bump(db, 'follows', 20_425),
  markActive: (db) => statsStore.markActive(db, USER, 20_425),
  insertAccount: (db) => statsStore.insertAccount(db, USER, 20_425),
  markVerified: (db) => statsStore.markVerified(db, USER),
  deleteAccount: (db) => statsStore.deleteAccount(db, USER),
  openMute: (db) => statsStore.openMute(db, USER, OTHER),
  closeMute: (db) => statsStore.closeMute(db, USER, OTHER),
  dailyCounters: (db) => statsStore.dailyCounters(db, 20_400, 20_425),
  accountsAt: (db) => statsStore.accountsAt(db, 20_425),
  distinctActive: (db) => statsStore.distinctActive(db, 20_400, 20_425),
  activePerDay: (db) => statsStore.activePerDay(db, 20_400, 20_425),
  pruneActiveDays: (db) => statsStore.pruneActiveDays(db, 20_000),
  firstErasedPublishedAt: (db) => statsStore.firstErasedPublishedAt(withTables(db), USER),
};

test('every function the stats store exports is in the snapshot', () => {
  const exported = Object.entries(statsStore)
    .filter(([, value]) => typeof value === 'function')
    .map(([name]) => name);
  expect(exported.sort()).toEqual(Object.keys(statsCalls).sort());
});

test('the SQL of every user store matches services/user/queries/*.sql', async () => {
  const recorder = createQueryRecorder<ProfilesDb>('user', { rows: () => [ROW] });
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
  const userRecorder = createQueryRecorder<UserDatabase>('user');
  for (const [store, calls] of Object.entries(profileStores)) {
    rendered[store] = await renderQueries(userRecorder, calls);
  }
  for (const [store, calls] of Object.entries(lifecycleStores)) {
    rendered[store] = await renderQueries(userRecorder, calls);
  }
  const statsRecorder = createQueryRecorder<StatsDb>('user');
  rendered['stats-store'] = await renderQueries(statsRecorder, statsCalls);
  const dir = path.resolve(import.meta.dirname, '../queries');
  expect(() => checkQuerySnapshots(dir, rendered)).not.toThrow();
});
