import assert from 'node:assert/strict';
import { afterAll, afterEach, beforeAll, beforeEach, describe, test } from 'vitest';
import { createPostgresDatabase, migrate } from '@kith/db';
import type { Database } from '@kith/db';
import { createRootLogger } from '@kith/logging';
import { createTestSchema, requireService, waitFor } from '@kith/testkit';
import type { TestSchema } from '@kith/testkit';
import { userModule } from '@kith/user-service';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { canonicalEmail, normalizeUsername, usernameSkeleton } from '../credentials/index.js';
import type { AuthDatabase } from '../db/schema.js';
import { authMigrations } from '../migrations/index.js';
import {
  CONSENT,
  auditTrail,
  deviceClient,
  outboxPayloads,
  seedUser,
  startAuthHarness,
  uniqueUser,
} from '../testing/index.js';
import type { AuthHarness } from '../testing/index.js';
import { expireRegistrations } from './expire.js';
import { claimExpiredRegistrations } from './registration-store.js';
import { registrationExpiryDaemon } from './expiry-daemon.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** The part of the user service's schema these tests read (its own tables, seen from outside). */
type UserTables = { profiles: { user_id: string; username: string } };

describe('expiry of unverified registrations', () => {
  let h: AuthHarness;
  let profiles: Kysely<UserTables>;

  // A harness per test: each moves the clock past a week, which would expire the others' sign-ups.
  beforeEach(async () => {
    h = await startAuthHarness({ modules: [userModule] });
    profiles = h.kith.contexts.get('user')!.database!.db as unknown as Kysely<UserTables>;
  });
  afterEach(() => h.stop());

  /** Signs up through the Register RPC from a device of its own; the address stays unverified. */
  async function register(credentials = uniqueUser()) {
    await deviceClient(h).register({ ...credentials, consent: CONSENT });
    const account = await accountNamed(credentials.username);
    assert.ok(account, `${credentials.username} was not registered`);
    return { ...credentials, userId: account.id };
  }

  function accountNamed(username: string) {
    return h.app.database.db
      .selectFrom('accounts')
      .select(['id', 'email_canonical'])
      .where('username', '=', username)
      .executeTakeFirst();
  }

  async function accountExists(userId: string): Promise<boolean> {
    const row = await h.app.database.db
      .selectFrom('accounts')
      .select('id')
      .where('id', '=', userId)
      .executeTakeFirst();
    return row !== undefined;
  }

  async function profileOf(userId: string) {
    return profiles
      .selectFrom('profiles')
      .select(['user_id', 'username'])
      .where('user_id', '=', userId)
      .executeTakeFirst();
  }

  async function expiredEvents() {
    return (await outboxPayloads(h)).flatMap((p) =>
      p.case === 'authRegistrationExpired'
        ? [{ userId: p.value.userId, username: p.value.username }]
        : [],
    );
  }

  test('an unverified sign-up is removed after a week and its username can be taken again', async () => {
    const squatter = await register();
    const verified = await h.signUp();
    await waitFor(
      async () =>
        (await profileOf(squatter.userId)) !== undefined &&
        (await profileOf(verified.userId)) !== undefined,
      { what: 'the profiles of both sign-ups' },
    );
    const tokensOf = (userId: string) =>
      h.app.database.db
        .selectFrom('email_tokens')
        .select('id')
        .where('account_id', '=', userId)
        .execute();
    assert.equal((await tokensOf(squatter.userId)).length, 1, 'the verification link');

    h.clock.advance(6 * DAY);
    assert.equal(await expireRegistrations(h.app), 0, 'six days is not a week');
    h.clock.advance(DAY - MINUTE);
    assert.equal(await expireRegistrations(h.app), 0, 'nor is a week less a minute');
    assert.ok(await accountExists(squatter.userId));

    h.clock.advance(2 * MINUTE);
    const fresh = await register();
    assert.equal(await expireRegistrations(h.app), 1);

    assert.equal(await accountExists(squatter.userId), false);
    assert.equal((await tokensOf(squatter.userId)).length, 0, 'its tokens went with it');
    assert.ok(await accountExists(verified.userId), 'a verified account of the same age stays');
    assert.ok(await accountExists(fresh.userId), 'a sign-up younger than a week stays');
    assert.deepEqual(await expiredEvents(), [
      { userId: squatter.userId, username: squatter.username },
    ]);
    assert.deepEqual(
      (await auditTrail(h, squatter.userId)).map((e) => [e.type, e.details]),
      [
        ['registered', {}],
        ['registration_expired', { username: squatter.username }],
      ],
      'the audit log keeps the history of the removed account',
    );

    await waitFor(async () => (await profileOf(squatter.userId)) === undefined, {
      what: 'the user service to drop the expired profile',
    });
    assert.ok(await profileOf(verified.userId), 'other profiles are untouched');

    // Someone else takes the name; the address is free again too.
    const successor = await register({ ...uniqueUser(), username: squatter.username });
    assert.notEqual(successor.userId, squatter.userId);
    const returning = await register({ ...uniqueUser(), email: squatter.email });
    assert.equal(
      (await accountNamed(returning.username))?.email_canonical,
      canonicalEmail(squatter.email),
    );
    await waitFor(async () => (await profileOf(successor.userId))?.username === squatter.username, {
      what: "the successor's profile under the freed username",
    });

    assert.equal(await expireRegistrations(h.app), 0, 'a second run finds nothing');
    assert.equal((await expiredEvents()).length, 1);
  });

  test('expiry goes through every batch, each account once', async () => {
    const seeded = [];
    for (let i = 0; i < 5; i++) {
      seeded.push(await seedUser(h, { verified: false, signedIn: false }));
    }
    h.clock.advance(7 * DAY + MINUTE);

    assert.equal(await expireRegistrations(h.app, { batch: 2 }), 5);

    for (const account of seeded) assert.equal(await accountExists(account.userId), false);
    assert.deepEqual(
      (await expiredEvents()).map((e) => e.userId).sort(),
      seeded.map((a) => a.userId).sort(),
    );
  });

  test('the age limit can be set by the caller', async () => {
    const account = await seedUser(h, { verified: false, signedIn: false });
    h.clock.advance(2 * DAY);
    assert.equal(await expireRegistrations(h.app, { olderThanMs: 3 * DAY }), 0);
    h.clock.advance(DAY + MINUTE);
    assert.equal(await expireRegistrations(h.app, { olderThanMs: 3 * DAY }), 1);
    assert.equal(await accountExists(account.userId), false);
  });

  test('an account a provider vouched for (OIDC, no password) is never expired', async () => {
    const account = await seedUser(h, { verified: false, password: null, signedIn: false });
    await h.app.database.db
      .insertInto('oidc_identities')
      .values({
        id: uuidv7(),
        account_id: account.userId,
        provider_id: 'test',
        issuer: 'https://idp.example.com',
        subject: account.userId,
        email: account.email,
        linked_at: h.clock.now(),
      })
      .execute();
    h.clock.advance(30 * DAY);

    assert.equal(await expireRegistrations(h.app), 0);
    assert.ok(await accountExists(account.userId));
  });

  /** A logger whose JSON lines the test reads. */
  function capturingLogger() {
    const lines: { level: number; msg: string; subsystem?: string; err?: object }[] = [];
    const logger = createRootLogger({
      level: 'info',
      destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
    });
    return { lines, logger };
  }

  test('the daemon sweeps when it starts, and stopping waits for the sweep', async () => {
    const account = await seedUser(h, { verified: false, signedIn: false });
    h.clock.advance(8 * DAY);
    const { lines, logger } = capturingLogger();

    const daemon = registrationExpiryDaemon({ ...h.app, logger });
    await daemon.start();
    await daemon.stop();

    // Read before any query: a query would queue behind a sweep still in flight.
    assert.deepEqual(
      lines.map((l) => [l.subsystem, l.msg]),
      [['auth:registration-expiry', 'unverified registrations expired']],
    );
    assert.equal(await accountExists(account.userId), false);
  });

  test('a failing sweep is logged, not thrown', async () => {
    const { lines, logger } = capturingLogger();
    const broken = {
      ...h.app,
      logger,
      database: {
        ...h.app.database,
        transaction: () => Promise.reject(new Error('database unavailable')),
      },
    };

    const daemon = registrationExpiryDaemon(broken);
    await daemon.start();
    await daemon.stop();

    assert.equal(lines.length, 1);
    const [line] = lines;
    assert.equal(line?.msg, 'registration expiry failed');
    assert.equal(line?.subsystem, 'auth:registration-expiry');
    assert.match(JSON.stringify(line?.err), /database unavailable/);
  });
});

const pgUrl = await requireService('postgres');

describe.skipIf(!pgUrl)('claiming expired registrations on Postgres', () => {
  let schema: TestSchema;
  let database: Database<AuthDatabase>;

  beforeAll(async () => {
    schema = await createTestSchema(pgUrl!, 'auth_expiry');
    database = createPostgresDatabase<AuthDatabase>({
      url: pgUrl!,
      schema: schema.name,
      poolMax: 4,
    });
    await migrate(database, authMigrations);
  });
  afterAll(async () => {
    await database.close();
    await schema.drop();
  });

  async function insertUnverified(createdAt: Date): Promise<string> {
    const { email, username } = uniqueUser();
    const id = uuidv7();
    await database.db
      .insertInto('accounts')
      .values({
        id,
        email,
        email_canonical: canonicalEmail(email),
        email_verified_at: null,
        pending_email: null,
        username,
        username_normalized: normalizeUsername(username),
        username_skeleton: usernameSkeleton(username),
        password_hash: 'unused',
        totp_secret_enc: null,
        totp_enabled_at: null,
        totp_last_step: null,
        totp_pending_secret_enc: null,
        totp_pending_expires_at: null,
        tokens_valid_after: createdAt,
        disabled_at: null,
        disabled_by: null,
        last_login_at: null,
        created_at: createdAt,
        updated_at: createdAt,
      })
      .execute();
    return id;
  }

  test('a second sweep skips the accounts the first holds instead of waiting or taking them', async () => {
    const now = Date.now();
    const older = await insertUnverified(new Date(now - 9 * DAY));
    const newer = await insertUnverified(new Date(now - 8 * DAY));
    const cutoff = new Date(now - 7 * DAY);

    let holding!: () => void;
    let finish!: () => void;
    const firstHolds = new Promise<void>((resolve) => (holding = resolve));
    const firstMayEnd = new Promise<void>((resolve) => (finish = resolve));
    // Two sweeps as two replicas run them: the second starts outside the first's transaction.
    const first = database.transaction(async (trx) => {
      const held = await claimExpiredRegistrations(trx, cutoff, 1);
      holding();
      await firstMayEnd;
      return held;
    });
    await Promise.race([firstHolds, first]);
    try {
      const taken = await database.transaction(async (second) => {
        // Waiting on the first sweep's lock would fail here rather than hang the test.
        await sql`set local lock_timeout = '5s'`.execute(second);
        return claimExpiredRegistrations(second, cutoff, 10);
      });
      assert.deepEqual(
        taken.map((r) => r.id),
        [newer],
      );
    } finally {
      finish();
    }
    assert.deepEqual(
      (await first).map((r) => r.id),
      [older],
    );
  });
});
