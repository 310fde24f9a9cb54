import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { createPostgresDatabase, migrate, withTables } from '@kith/db';
import type { Database } from '@kith/db';
import { migrationsFor } from '@kith/runtime';
import { createTestSchema, requireService } from '@kith/testkit';
import type { TestSchema } from '@kith/testkit';
import type { UserDatabase } from '../db/schema.js';
import type { GraphDb } from '../graph/relationship-store.js';
import { userModule } from '../module.js';
import { insertProfile, updateProfileFields } from './profile-store.js';
import type { ProfilesDb } from './profile-store.js';
import { searchProfiles } from './search-store.js';
import { trigramsOf } from './search-trigrams.js';
import { insertSettings } from './settings-store.js';

// The service tests run embedded (PGlite); search is built without extensions so it runs the
// same there and here, on a Postgres server: the user migrations, then the search query.
const databaseUrl = await requireService('postgres');

describe.skipIf(databaseUrl ? false : 'DATABASE_URL unavailable')('search on Postgres', () => {
  let schema: TestSchema;
  let database: Database<UserDatabase>;
  const ids = {
    viewer: '0190f2f6-6f3c-7cc0-8b5c-7a0000000c01',
    alice: '0190f2f6-6f3c-7cc0-8b5c-7a0000000c02',
    alina: '0190f2f6-6f3c-7cc0-8b5c-7a0000000c03',
    bob: '0190f2f6-6f3c-7cc0-8b5c-7a0000000c04',
  };

  beforeAll(async () => {
    schema = await createTestSchema(databaseUrl!, 'usersearch');
    database = createPostgresDatabase<UserDatabase>({ url: databaseUrl!, schema: schema.name });
    await migrate(database, migrationsFor(userModule));
    const db = withTables<ProfilesDb>(database.db);
    const now = new Date();
    for (const [username, userId, displayName] of [
      ['viewer', ids.viewer, 'Viewer'],
      ['alice_w', ids.alice, 'Alice Bartholomew'],
      ['alina', ids.alina, 'Alina'],
      ['bob', ids.bob, 'Robert'],
    ] as const) {
      await insertProfile(db, { userId, username, locale: 'en' });
      await insertSettings(db, { userId, locale: 'en' });
      await updateProfileFields(db, userId, { displayName }, now);
    }
  });
  afterAll(async () => {
    await database?.close();
    await schema?.drop();
  });

  const search = (text: string, more: { usernameOnly?: boolean } = {}) =>
    searchProfiles(withTables<ProfilesDb & GraphDb>(database.db), {
      viewerId: ids.viewer,
      text,
      trigrams: trigramsOf(text),
      usernameOnly: more.usernameOnly ?? false,
      followingOnly: false,
      now: new Date(),
      pageSize: 20,
    });

  test('prefixes rank first, then near matches; a typo still finds the name', async () => {
    const ali = await search('ali');
    assert.deepEqual(ali.map((r) => r.user_id).sort(), [ids.alice, ids.alina].sort());
    assert.ok(ali.every((r) => r.score >= 300));
    const typo = await search('bartholomeu');
    assert.deepEqual(
      typo.map((r) => r.user_id),
      [ids.alice],
    );
    assert.deepEqual(await search('bartho', { usernameOnly: true }), []);
    assert.deepEqual(await search('%'), []);
  });
});
