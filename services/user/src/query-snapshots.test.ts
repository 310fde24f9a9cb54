import path from 'node:path';
import { checkQuerySnapshots, createQueryRecorder, renderQueries } from '@kith/testkit';
import { expect, test } from 'vitest';
import { createPageTokenCodec } from '@kith/db';
import * as blockStore from './graph/block-store.js';
import * as followStore from './graph/follow-store.js';
import { graphDb, sharedGraph } from './graph/graph-db.js';
import * as graphProfiles from './graph/graph-profile-store.js';
import * as muteStore from './graph/mute-store.js';
import * as relationships from './graph/relationship-store.js';
import * as profiles from './profiles/profile-store.js';
import type { ProfilesDb } from './profiles/profile-store.js';
import type { Kysely } from 'kysely';

// Every store query, compiled for Postgres, is committed under services/user/queries/: a change
// to a store's SQL shows up in review as SQL. Accept a reviewed difference with
// KITH_UPDATE_QUERY_SNAPSHOTS=1.

const USER = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const OTHER = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c';
const NOW = new Date('2026-12-03T12:00:00.000Z');
const codec = createPageTokenCodec('query-snapshot-secret-of-32-bytes!');
const page = { pageSize: 20, pageToken: '', codec };
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
const stores: Record<string, Calls> = {
  'profile-store': {
    insertProfile: (db) =>
      profiles.insertProfile(db, { userId: USER, username: 'ann', locale: 'en' }),
    deleteProfile: (db) => profiles.deleteProfile(db, USER),
    setDeletionScheduled: (db) =>
      profiles.setDeletionScheduled(db, USER, new Date('2026-12-31T00:00:00Z')),
  },
  'relationship-store': {
    blockedEitherWay: (db) => relationships.blockedEitherWay(sharedGraph(db), USER, OTHER),
    blockedAmong: (db) => relationships.blockedAmong(sharedGraph(db), USER, [OTHER]),
    mutesNotificationsOf: (db) =>
      relationships.mutesNotificationsOf(sharedGraph(db), USER, OTHER, NOW),
    relationshipsOf: (db) => relationships.relationshipsOf(sharedGraph(db), USER, [OTHER], NOW),
    followCounts: (db) => relationships.followCounts(sharedGraph(db), [USER]),
    isFollowing: (db) => relationships.isFollowing(sharedGraph(db), USER, OTHER),
    nextEdgeVersion: (db) => relationships.nextEdgeVersion(sharedGraph(db), 'follow', USER, OTHER),
    lockPair: (db) => relationships.lockPair(sharedGraph(db), USER, OTHER),
  },
  'graph-profile-store': {
    visibleProfile: (db) => graphProfiles.visibleProfile(graphDb(db), OTHER, USER),
    isVisibleUser: (db) => graphProfiles.isVisibleUser(graphDb(db), OTHER),
    visibleAmong: (db) => graphProfiles.visibleAmong(graphDb(db), [OTHER]),
  },
  'follow-store': {
    insertFollow: (db) => followStore.insertFollow(graphDb(db), USER, OTHER, NOW),
    deleteFollow: (db) => followStore.deleteFollow(graphDb(db), USER, OTHER),
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
    deleteFollowsBetween: (db) => followStore.deleteFollowsBetween(graphDb(db), USER, OTHER),
    deleteFollowRequestsBetween: (db) =>
      followStore.deleteFollowRequestsBetween(graphDb(db), USER, OTHER),
    pendingRequesterIds: (db) => followStore.pendingRequesterIds(graphDb(db), USER),
  },
  'block-store': {
    insertBlock: (db) => blockStore.insertBlock(graphDb(db), USER, OTHER, NOW),
    deleteBlock: (db) => blockStore.deleteBlock(graphDb(db), USER, OTHER),
    blocks: (db) => blockStore.blocks(graphDb(db), USER, OTHER),
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
    mutesPage: (db) => muteStore.mutesPage(graphDb(db), { ...page, muterId: USER, now: NOW }),
  },
};

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
      // profileShown is a WHERE fragment: it shows up inside every list query above.
      .filter(([name, value]) => typeof value === 'function' && name !== 'profileShown')
      .map(([name]) => name);
    expect(exported.sort(), store).toEqual(Object.keys(stores[store]!).sort());
  }
});

test('every function the user stores export is in the snapshot', () => {
  const exported = Object.entries(profiles)
    .filter(([, value]) => typeof value === 'function')
    .map(([name]) => name);
  expect(exported.sort()).toEqual(Object.keys(stores['profile-store']!).sort());
});

test('the SQL of every user store matches services/user/queries/*.sql', async () => {
  const recorder = createQueryRecorder<ProfilesDb>('user', { rows: () => [ROW] });
  const rendered: Record<string, string> = {};
  for (const [store, calls] of Object.entries(stores)) {
    rendered[store] = await renderQueries(recorder, calls);
  }
  const dir = path.resolve(import.meta.dirname, '../queries');
  expect(() => checkQuerySnapshots(dir, rendered)).not.toThrow();
});
