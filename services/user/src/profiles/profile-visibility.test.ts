import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import {
  createPglite,
  createPgliteDatabase,
  createPostgresDatabase,
  migrate,
  withTables,
} from '@kith/db';
import type { Database } from '@kith/db';
import { migrationsFor } from '@kith/runtime';
import { createTestSchema, requireService } from '@kith/testkit';
import type { Updateable } from 'kysely';
import type { UserDatabase } from '../db/schema.js';
import { userModule } from '../module.js';
import { findProfiles, insertProfile } from './profile-store.js';
import type { ProfilesDb } from './profile-store.js';
import type { ProfileTable } from './profile-table.js';
import { hiddenFromOthers } from './profile-view.js';
import { profileShownAt } from './profile-visibility.js';

// The rule "shown to others" exists twice: as SQL for the queries that filter profiles (graph
// lists, relationships, search) and in TypeScript for the cached rows GetProfile reads. Both
// are asked about the same stored rows at the same instant, on each database Kith runs on.

const NOW = new Date('2026-12-03T12:00:00.000Z');
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);

const cases: { name: string; shown: boolean; set: Updateable<ProfileTable> }[] = [
  { name: 'a plain profile', shown: true, set: {} },
  { name: 'an erased profile', shown: false, set: { deleted_at: minutes(-5) } },
  { name: 'a deletion pending', shown: false, set: { deletion_scheduled_for: minutes(60) } },
  { name: 'disabled by staff', shown: false, set: { disabled_at: minutes(-5) } },
  { name: 'banned', shown: false, set: { moderation_banned: true } },
  {
    name: 'suspended without an end',
    shown: false,
    set: { moderation_suspended: true, moderation_suspended_until: null },
  },
  {
    name: 'suspended until a time that has passed',
    shown: true,
    set: { moderation_suspended: true, moderation_suspended_until: minutes(-1) },
  },
  {
    name: 'suspended until this very instant',
    shown: true,
    set: { moderation_suspended: true, moderation_suspended_until: NOW },
  },
  {
    name: 'suspended until a time still ahead',
    shown: false,
    set: { moderation_suspended: true, moderation_suspended_until: minutes(1) },
  },
  {
    name: 'banned, with a suspension that has passed',
    shown: false,
    set: {
      moderation_banned: true,
      moderation_suspended: true,
      moderation_suspended_until: minutes(-1),
    },
  },
  {
    name: 'a suspension lifted early (an end time left behind)',
    shown: true,
    set: { moderation_suspended: false, moderation_suspended_until: minutes(60) },
  },
  { name: 'limited by moderation', shown: true, set: { moderation_limited: true } },
];

const pgUrl = await requireService('postgres');

interface Adapter {
  database: Database<UserDatabase>;
  teardown(): Promise<void>;
}

const adapters: [string, (() => Promise<Adapter>) | undefined][] = [
  [
    'Postgres',
    pgUrl
      ? async () => {
          const schema = await createTestSchema(pgUrl, 'uservis');
          const database = createPostgresDatabase<UserDatabase>({
            url: pgUrl,
            schema: schema.name,
          });
          return {
            database,
            async teardown() {
              await database.close();
              await schema.drop();
            },
          };
        }
      : undefined,
  ],
  [
    'PGlite',
    async () => {
      const pglite = await createPglite();
      return {
        database: createPgliteDatabase<UserDatabase>({ pglite, schema: 'user' }),
        teardown: () => pglite.close(),
      };
    },
  ],
];

for (const [name, start] of adapters) {
  describe.skipIf(!start)(`profile visibility on ${name}`, () => {
    let adapter: Adapter;
    const ids = cases.map(
      (_, i) => `0190f2f6-6f3c-7cc0-8b5c-7a00000d${String(i).padStart(4, '0')}`,
    );

    beforeAll(async () => {
      adapter = await start!();
      await migrate(adapter.database, migrationsFor(userModule));
      const db = withTables<ProfilesDb>(adapter.database.db);
      for (const [i, c] of cases.entries()) {
        await insertProfile(db, { userId: ids[i]!, username: `vis${i}`, locale: 'en' });
        if (Object.keys(c.set).length > 0) {
          await db.updateTable('profiles').set(c.set).where('user_id', '=', ids[i]!).execute();
        }
      }
    }, 60_000);
    afterAll(async () => {
      await adapter?.teardown();
    });

    test('the SQL rule and hiddenFromOthers agree on every kind of hidden and shown profile', async () => {
      const db = withTables<ProfilesDb>(adapter.database.db);
      const shownBySql = new Set(
        (
          await db
            .selectFrom('profiles')
            .select('user_id')
            .where('user_id', 'in', ids)
            .where(profileShownAt(NOW))
            .execute()
        ).map((row) => row.user_id),
      );
      // The same rule under the alias search gives the table.
      const shownUnderAlias = new Set(
        (
          await db
            .selectFrom('profiles as p')
            .select('p.user_id')
            .where('p.user_id', 'in', ids)
            .where(profileShownAt(NOW, 'p'))
            .execute()
        ).map((row) => row.user_id),
      );
      const rows = new Map((await findProfiles(db, ids)).map((row) => [row.user_id, row]));
      const answers = cases.map((c, i) => ({
        case: c.name,
        sql: shownBySql.has(ids[i]!),
        alias: shownUnderAlias.has(ids[i]!),
        ts: !hiddenFromOthers(rows.get(ids[i]!)!, NOW),
      }));
      assert.deepEqual(
        answers,
        cases.map((c) => ({ case: c.name, sql: c.shown, alias: c.shown, ts: c.shown })),
      );
    });
  });
}
