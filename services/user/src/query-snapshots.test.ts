import path from 'node:path';
import { checkQuerySnapshots, createQueryRecorder, renderQueries } from '@kith/testkit';
import { expect, test } from 'vitest';
import * as profiles from './profiles/profile-store.js';
import type { ProfilesDb } from './profiles/profile-store.js';
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

test('every function the user stores export is in the snapshot', () => {
  const exported = Object.entries(profiles)
    .filter(([, value]) => typeof value === 'function')
    .map(([name]) => name);
  expect(exported.sort()).toEqual(Object.keys(stores['profile-store']!).sort());
});

test('the SQL of every user store matches services/user/queries/*.sql', async () => {
  const recorder = createQueryRecorder<ProfilesDb>('user');
  const rendered: Record<string, string> = {};
  for (const [store, calls] of Object.entries(stores)) {
    rendered[store] = await renderQueries(recorder, calls);
  }
  const dir = path.resolve(import.meta.dirname, '../queries');
  expect(() => checkQuerySnapshots(dir, rendered)).not.toThrow();
});
