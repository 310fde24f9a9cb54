import path from 'node:path';
import { checkQuerySnapshots, createQueryRecorder, renderQueries } from '@kith/testkit';
import { expect, test } from 'vitest';
import * as profiles from './profiles/profile-store.js';
import * as search from './profiles/search-store.js';
import * as settings from './profiles/settings-store.js';
import { withTables } from '@kith/db';
import type { UserDatabase } from './db/schema.js';
import type { GraphDb } from './graph/relationship-store.js';
import type { ProfilesDb } from './profiles/profile-store.js';
import type { Kysely } from 'kysely';

// Every store query, compiled for Postgres, is committed under services/user/queries/: a change
// to a store's SQL shows up in review as SQL. Accept a reviewed difference with
// KITH_UPDATE_QUERY_SNAPSHOTS=1.

const USER = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const OTHER = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c';
const NOW = new Date('2026-12-03T12:00:00Z');
const P = (db: Kysely<UserDatabase>) => withTables<ProfilesDb>(db);
const G = (db: Kysely<UserDatabase>) => withTables<GraphDb>(db);
const S = (db: Kysely<UserDatabase>) => withTables<ProfilesDb & GraphDb>(db);
type Calls = Record<string, (db: Kysely<UserDatabase>) => Promise<unknown>>;
const searchInput = {
  viewerId: USER,
  text: 'ann',
  trigrams: ['  a', ' an', 'ann', 'nn '],
  usernameOnly: false,
  followingOnly: false,
  now: NOW,
  pageSize: 20,
};
const stores: Record<string, Calls> = {
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

const modules: Record<string, Record<string, unknown>> = {
  'profile-store': profiles,
  'settings-store': settings,
  'search-store': search,
};

test('every function the user stores export is in the snapshot', () => {
  for (const [store, module] of Object.entries(modules)) {
    const exported = Object.entries(module)
      .filter(([, value]) => typeof value === 'function')
      .map(([name]) => name);
    const covered = Object.keys(stores[store]!).filter((name) => name in module);
    expect(exported.sort(), store).toEqual(covered.sort());
  }
});

test('the SQL of every user store matches services/user/queries/*.sql', async () => {
  const recorder = createQueryRecorder<UserDatabase>('user');
  const rendered: Record<string, string> = {};
  for (const [store, calls] of Object.entries(stores)) {
    rendered[store] = await renderQueries(recorder, calls);
  }
  const dir = path.resolve(import.meta.dirname, '../queries');
  expect(() => checkQuerySnapshots(dir, rendered)).not.toThrow();
});
