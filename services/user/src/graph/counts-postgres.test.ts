import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { createPageTokenCodec, createPostgresDatabase, migrate, withTables } from '@kith/db';
import type { Database } from '@kith/db';
import { createRootLogger } from '@kith/logging';
import { migrationsFor } from '@kith/runtime';
import type { ServiceContext, SignedInCaller } from '@kith/runtime';
import { createTestSchema, requireService } from '@kith/testkit';
import type { TestSchema } from '@kith/testkit';
import { createUserApp } from '../app.js';
import type { UserApp } from '../app.js';
import type { UserDatabase } from '../db/schema.js';
import { userModule } from '../module.js';
import { insertProfile } from '../profiles/profile-store.js';
import type { ProfilesDb } from '../profiles/profile-store.js';
import { block } from './blocks.js';
import { follow, unfollow } from './follows.js';
import { graphDb } from './graph-db.js';

// The embedded harness runs on PGlite, one session at a time: there, concurrent calls never
// overlap. Here the same use cases run on a real Postgres pool, where they do.
const pgUrl = await requireService('postgres');

describe.skipIf(!pgUrl)('follow counts on Postgres under concurrency', () => {
  let schema: TestSchema;
  let database: Database<UserDatabase>;
  let app: UserApp;
  beforeAll(async () => {
    schema = await createTestSchema(pgUrl!, 'user_graph');
    database = createPostgresDatabase<UserDatabase>({
      url: pgUrl!,
      schema: schema.name,
      poolMax: 20,
    });
    await migrate(database, migrationsFor(userModule));
    // Only what the graph's use cases read of the service context (no bus or cache is used).
    const ctx = {
      database,
      clock: () => new Date(),
      logger: createRootLogger({ level: 'silent' }),
      pageTokens: createPageTokenCodec('counts-test-secret-of-32-bytes-at-least!'),
      // No SMTP_URL when distributed: the app sends no notification e-mail.
      env: {},
      config: { mode: 'distributed', dataDir: '' },
    } as unknown as ServiceContext<UserDatabase>;
    app = createUserApp(ctx);
  });
  afterAll(async () => {
    await database?.close();
    await schema?.drop();
  });

  let n = 0;
  async function user(): Promise<SignedInCaller> {
    const userId = crypto.randomUUID();
    await insertProfile(withTables<ProfilesDb>(database.db), {
      userId,
      username: `graph_${Date.now().toString(36)}_${n++}`,
      locale: 'en',
    });
    return {
      principal: { userId },
      meta: { ip: '127.0.0.1', userAgent: 'test', requestId: 'r' },
      now: new Date(),
    } as unknown as SignedInCaller;
  }

  async function assertCountsMatchRows(ids: string[]) {
    const db = graphDb(database.db);
    for (const id of ids) {
      const followers = await db
        .selectFrom('follows')
        .select('follower_id')
        .where('followee_id', '=', id)
        .execute();
      const following = await db
        .selectFrom('follows')
        .select('followee_id')
        .where('follower_id', '=', id)
        .execute();
      const counts = await db
        .selectFrom('follow_counts')
        .selectAll()
        .where('user_id', '=', id)
        .executeTakeFirst();
      assert.equal(counts?.followers_count ?? 0, followers.length, `followers of ${id}`);
      assert.equal(counts?.following_count ?? 0, following.length, `following of ${id}`);
    }
  }

  test('50 overlapping follows and unfollows, both ways, leave counts equal to the rows', async () => {
    const star = await user();
    const fans = await Promise.all(Array.from({ length: 10 }, () => user()));
    const calls = Array.from({ length: 50 }, (_, i) => {
      const fan = fans[i % fans.length]!;
      const [from, to] = i % 4 < 2 ? [fan, star] : [star, fan];
      return i % 2 === 0
        ? follow(app, from, to.principal.userId)
        : unfollow(app, from, to.principal.userId);
    });
    const results = await Promise.allSettled(calls);
    assert.deepEqual(
      results.filter((r) => r.status === 'rejected'),
      [],
      'no call failed (no deadlock)',
    );
    await assertCountsMatchRows([star, ...fans].map((u) => u.principal.userId));
  });

  test('blocks racing follows and unfollows of the same pairs keep counts equal to the rows', async () => {
    const pairs = await Promise.all(
      Array.from({ length: 8 }, async () => [await user(), await user()] as const),
    );
    for (const [a, b] of pairs) {
      await follow(app, a, b.principal.userId);
      await follow(app, b, a.principal.userId);
    }
    const results = await Promise.allSettled(
      pairs.flatMap(([a, b]) => [
        block(app, a, b.principal.userId),
        unfollow(app, b, a.principal.userId),
        follow(app, a, b.principal.userId).catch(() => undefined), // may meet the block
        unfollow(app, a, b.principal.userId),
      ]),
    );
    assert.deepEqual(
      results.filter((r) => r.status === 'rejected'),
      [],
    );
    await assertCountsMatchRows(pairs.flat().map((u) => u.principal.userId));
    const db = graphDb(database.db);
    for (const [a, b] of pairs) {
      const left = await db
        .selectFrom('follows')
        .select('follower_id')
        .where('follower_id', 'in', [a.principal.userId, b.principal.userId])
        .where('followee_id', 'in', [a.principal.userId, b.principal.userId])
        .execute();
      assert.deepEqual(left, [], 'no follow survives the block');
    }
  });
});
