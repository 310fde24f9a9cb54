import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { withTables } from '@kith/db';
import { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';
import { seedUser, startAuthHarness, startSession } from '../../../auth/src/testing/index.js';
import type { AuthHarness, TestUser } from '../../../auth/src/testing/index.js';
import { insertProfile } from '../profiles/profile-store.js';
import type { ProfilesDb } from '../profiles/profile-store.js';
import { DELETION_GRACE_MS, ERASURE_REPUBLISH_MS } from './deps.js';
import { ERASURE_PLAN, countRows, tablesOfSchema, uuidColumnsOfSchema } from './erase-store.js';
import { runErasurePass } from './erasure-saga.js';
import {
  MISSING_SERVICES,
  eventually,
  publishAs,
  STAND_IN_PARTICIPANTS,
  startLifecycleHarness,
  userOutbox,
} from './testing/harness.js';
import type { LifecycleHarness } from './testing/harness.js';

let t: LifecycleHarness<AuthHarness>;
beforeAll(async () => {
  // Stand-ins for post, circle, support and moderation take part here (they do not exist yet).
  t = await startLifecycleHarness(startAuthHarness, { participants: STAND_IN_PARTICIPANTS });
});
afterAll(async () => {
  await t?.stop();
});

/**
 * Tables of the user schema that are not the user service's data: the platform's machinery,
 * with why erasure leaves them alone.
 */
const PLATFORM_TABLES: Record<string, string> = {
  outbox: 'events already published; the relay marks them sent (retention is the platform’s)',
  inbox: 'ids of processed messages only',
  dead_letters: 'failed deliveries an operator replays or drops',
  idempotency_keys: 'cached responses, purged after 25 h (ADR 0004)',
  _migrations: 'the migrations applied',
};

/** uuid columns that are not a user's id (the row's own id, or an id of something else). */
const NOT_A_USER: ReadonlySet<string> = new Set([
  'data_exports.id',
  'data_export_parts.data_export_id',
  'deletion_feedback.id',
  'push_jobs.id',
  'push_jobs.notification_id',
  'push_devices.id',
  'push_devices.session_id',
  'push_deliveries.id',
  'push_deliveries.job_id',
  'push_deliveries.device_id',
  'push_fanouts.job_id',
  'push_dead_letters.id',
  'push_dead_letters.job_id',
  'push_dead_letters.notification_id',
  'push_dead_letters.device_id',
  'notifications.id',
  'notifications.subject_id',
  'notifications.within_circle_id',
  'notifications.source_event_id',
  'circle_quiet_hours.circle_id',
  'mail_outbox.id',
  // The avatar is media post holds; post erases the user's media on user.erased.
  'profiles.avatar_media_id',
  'outbox.id',
  'inbox.message_id',
  'dead_letters.id',
  'dead_letters.message_id',
]);

async function member(): Promise<TestUser> {
  const user = await seedUser(t.h);
  await insertProfile(withTables<ProfilesDb>(t.app.database.db), {
    userId: user.userId,
    username: user.username,
    locale: 'en',
  });
  return user;
}

async function as(user: TestUser) {
  return t.users((await startSession(t.h, user)).accessToken);
}

/** The user's rows in every table of the plan, by table (saga tables included). */
async function rowsLeft(user: TestUser): Promise<Record<string, number>> {
  const userId = user.userId;
  const left: Record<string, number> = {};
  for (const [table, plan] of Object.entries(ERASURE_PLAN)) {
    if (table === 'mail_outbox') {
      // Mail holds an address, not a user id.
      const mail = await t.app.database.db
        .selectFrom('mail_outbox')
        .select('id')
        .where('to', '=', user.email)
        .execute();
      left[table] = mail.length;
      continue;
    }
    left[table] = await countRows(
      t.app.database.db,
      t.app.database.schema,
      table,
      plan.columns,
      userId,
    );
  }
  return left;
}

const total = (rows: Record<string, number>) => Object.values(rows).reduce((a, b) => a + b, 0);

async function counts(userId: string) {
  return t.app.database.db
    .selectFrom('follow_counts')
    .select(['followers_count', 'following_count'])
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
}

/** Gives `user` a row in every table of the user schema that holds a user's data. */
async function everything(user: TestUser, other: TestUser, third: TestUser): Promise<void> {
  const db = t.app.database.db;
  const now = t.h.clock.now();
  const id = user.userId;
  await db
    .insertInto('follows')
    .values([
      { follower_id: id, followee_id: other.userId, created_at: now },
      { follower_id: other.userId, followee_id: id, created_at: now },
      { follower_id: third.userId, followee_id: id, created_at: now },
      // Between two bystanders: must survive.
      { follower_id: other.userId, followee_id: third.userId, created_at: now },
    ])
    .execute();
  await db
    .insertInto('follow_counts')
    .values([
      { user_id: id, followers_count: 2, following_count: 1 },
      { user_id: other.userId, followers_count: 1, following_count: 2 },
      { user_id: third.userId, followers_count: 1, following_count: 1 },
    ])
    .execute();
  await db
    .insertInto('follow_requests')
    .values([
      { requester_id: id, target_id: third.userId, created_at: now },
      { requester_id: other.userId, target_id: id, created_at: now },
    ])
    .execute();
  await db
    .insertInto('blocks')
    .values([
      { blocker_id: id, blocked_id: third.userId, created_at: now },
      { blocker_id: other.userId, blocked_id: id, created_at: now },
    ])
    .execute();
  await db
    .insertInto('edge_versions')
    .values([
      { kind: 'follow', from_id: id, to_id: other.userId, version: '1' },
      { kind: 'block', from_id: other.userId, to_id: id, version: '2' },
    ])
    .execute();
  await db
    .insertInto('mutes')
    .values([
      { muter_id: id, muted_id: other.userId, include_notifications: true, expires_at: null },
      { muter_id: third.userId, muted_id: id, include_notifications: false, expires_at: null },
    ])
    .execute();
  await db
    .insertInto('settings')
    .values({ user_id: id })
    .onConflict((oc) => oc.doNothing())
    .execute();
  await db
    .insertInto('contacts')
    .values({ user_id: id, email: user.email })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const notification = (recipient: string, actor: string) => ({
    id: crypto.randomUUID(),
    recipient_id: recipient,
    type: 1,
    group_key: crypto.randomUUID(),
    group_started_at: now,
    actor_id: actor,
    source_event_id: crypto.randomUUID(),
    created_at: now,
  });
  // The user's own inbox, and the user as the actor in a bystander's.
  await db
    .insertInto('notifications')
    .values([notification(id, other.userId), notification(third.userId, id)])
    .execute();
  await db
    .insertInto('notification_preferences')
    .values({ user_id: id, quiet_start_minute: null, quiet_end_minute: null })
    .onConflict((oc) => oc.doNothing())
    .execute();
  await db
    .insertInto('circle_quiet_hours')
    .values({
      circle_id: crypto.randomUUID(),
      user_id: id,
      start_minute: 0,
      end_minute: 60,
      enabled: true,
      version: '1',
    })
    .execute();
  await db
    .insertInto('mail_outbox')
    .values({
      id: crypto.randomUUID(),
      to: user.email,
      subject: 's',
      text: 't',
      html: null,
      headers: {},
      sent_at: null,
      last_error: null,
    })
    .execute();
  await db
    .insertInto('push_jobs')
    .values({
      id: crypto.randomUUID(),
      notification_id: crypto.randomUUID(),
      recipient_id: id,
      notification_type: 1,
      title: 't',
      body: 'b',
    })
    .execute();
  // A push device of the user's and a push that failed for good (the push area's tables).
  const deviceId = crypto.randomUUID();
  await db
    .insertInto('push_devices')
    .values({
      id: deviceId,
      user_id: id,
      session_id: crypto.randomUUID(),
      platform: 2,
      token: `fcm-${crypto.randomUUID()}`,
      web_push_p256dh: null,
      web_push_auth: null,
      apns_environment: null,
      app_id: null,
      device_label: '',
      created_at: new Date(),
      last_seen_at: new Date(),
    })
    .execute();
  await db
    .insertInto('push_dead_letters')
    .values({
      id: crypto.randomUUID(),
      job_id: crypto.randomUUID(),
      notification_id: crypto.randomUUID(),
      recipient_id: id,
      device_id: deviceId,
      platform: 2,
      attempts: 6,
      last_error: 'FCM 503',
      created_at: new Date(),
      dead_at: new Date(),
    })
    .execute();
  // What GetStats keeps about the user: a day active, a sign-up awaiting verification, a mute.
  await db.insertInto('stats_active_days').values({ day: 20_425, user_id: id }).execute();
  await db
    .insertInto('stats_accounts')
    .values({ user_id: id, registered_day: 20_425, verified: false })
    .execute();
  await db
    .insertInto('stats_open_mutes')
    .values({ muter_id: other.userId, muted_id: id })
    .execute();
  // An export with the user service's own part in it (data_exports, data_export_parts).
  await (await as(user)).requestDataExport({});
  await eventually(
    async () =>
      (
        await db
          .selectFrom('data_export_parts')
          .select('service')
          .where('user_id', '=', id)
          .where('service', '=', KithService.USER)
          .execute()
      ).length === 1,
    "the user's own export part",
  );
}

async function ackFromMissingServices(userId: string): Promise<void> {
  for (const service of MISSING_SERVICES) {
    await publishAs(t, KithService[service].toLowerCase(), {
      case: 'dataErasureCompleted',
      value: { userId, service },
    });
  }
}

test('every table of the user schema is in the erasure plan, with every column that holds a user id', async () => {
  const schema = t.app.database.schema;
  const tables = await tablesOfSchema(t.app.database.db, schema);
  const unplanned = tables.filter(
    (table) => !(table in ERASURE_PLAN) && !(table in PLATFORM_TABLES),
  );
  assert.deepEqual(unplanned, [], 'tables with no erasure plan: add them to ERASURE_PLAN');
  const missing = (await uuidColumnsOfSchema(t.app.database.db, schema))
    .filter(({ table, column }) => !NOT_A_USER.has(`${table}.${column}`))
    .filter(({ table, column }) => {
      const plan = ERASURE_PLAN[table as keyof typeof ERASURE_PLAN];
      return !plan || !(plan.columns as readonly string[]).includes(column);
    })
    .map(({ table, column }) => `${table}.${column}`);
  assert.deepEqual(missing, [], 'id columns erasure does not delete by');
  // And the plan names no table the schema lacks.
  assert.deepEqual(
    Object.keys(ERASURE_PLAN).filter((table) => !tables.includes(table)),
    [],
  );
});

test('an erasure interrupted in the middle resumes, leaves 0 rows for the user and publishes user.erased last', async () => {
  const user = await member();
  const other = await member();
  const third = await member();
  await everything(user, other, third);
  const before = await rowsLeft(user);
  for (const table of Object.keys(ERASURE_PLAN)) {
    // push_deliveries and push_fanouts hold no user id: they go with their device and job (FK);
    // stats_daily holds anonymous counters.
    const noUserId = ['deletion_feedback', 'push_deliveries', 'push_fanouts', 'stats_daily'];
    if ([...noUserId, 'account_deletions', 'erasure_acks'].includes(table)) continue;
    assert.ok(before[table]! > 0, `the test gives the user a row in ${table}`);
  }

  await (await as(user)).requestAccountDeletion({});
  t.h.clock.advance(DELETION_GRACE_MS + 1000);

  // A crash halfway through the local erase: follows (and their counts) are done, blocks not.
  await assert.rejects(
    runErasurePass(t.lifecycle, {
      afterTable(table) {
        if (table === 'blocks') throw new Error('crash injected after blocks');
      },
    }),
    /crash injected/,
  );
  const halfway = await rowsLeft(user);
  assert.equal(halfway.follows, 0);
  assert.ok(halfway.profiles! > 0, 'the crash left the rest of the work undone');
  assert.equal(halfway.account_deletions, 1, 'the saga state survived the crash');
  assert.ok(
    !(await userOutbox(t)).some((p) => p.case === 'userErased' && p.value.userId === user.userId),
    'user.erased is not out before the user service erased its own data',
  );
  assert.deepEqual(await counts(other.userId), { followers_count: 0, following_count: 1 });
  assert.deepEqual(await counts(third.userId), { followers_count: 1, following_count: 0 });

  // The next pass (the daemon after a restart) completes it.
  await runErasurePass(t.lifecycle);
  const payloads = await userOutbox(t);
  const about = payloads.filter(
    (p) =>
      (p.case === 'userErased' ||
        p.case === 'userErasureRequested' ||
        p.case === 'userExportRequested') &&
      p.value.userId === user.userId,
  );
  assert.equal(about.at(-1)?.case, 'userErased', 'user.erased is the last event about the user');
  assert.equal(about.filter((p) => p.case === 'userErased').length, 1);
  // Counts were adjusted once, not again on the resumed pass; the bystanders' follow survives.
  assert.deepEqual(await counts(other.userId), { followers_count: 0, following_count: 1 });
  assert.deepEqual(await counts(third.userId), { followers_count: 1, following_count: 0 });

  // Auth acknowledges by itself; the stand-ins for the services not written yet do too.
  await ackFromMissingServices(user.userId);
  await eventually(async () => total(await rowsLeft(user)) === 0, '0 rows for the user');
  const account = await t.h.app.database.db
    .selectFrom('accounts')
    .select('id')
    .where('id', '=', user.userId)
    .executeTakeFirst();
  assert.equal(account, undefined, 'auth erased the account on user.erased');
});

test('the saga waits for every service, re-publishes user.erased daily meanwhile, and then finishes', async () => {
  const user = await member();
  await (await as(user)).requestAccountDeletion({});
  t.h.clock.advance(DELETION_GRACE_MS + 1000);
  await runErasurePass(t.lifecycle);
  const saga = () =>
    t.app.database.db
      .selectFrom('account_deletions')
      .selectAll()
      .where('user_id', '=', user.userId)
      .executeTakeFirst();
  const acks = async () =>
    (
      await t.app.database.db
        .selectFrom('erasure_acks')
        .select('service')
        .where('user_id', '=', user.userId)
        .execute()
    )
      .map((r) => r.service)
      .sort();
  // Auth and the user service acknowledge; four services are silent.
  await eventually(
    async () => (await acks()).length === 2,
    'auth and the user service to acknowledge',
  );
  assert.deepEqual(await acks(), [KithService.AUTH, KithService.USER]);
  assert.ok(await saga(), 'the saga is still running');

  const erasedEvents = async () =>
    (await userOutbox(t)).filter((p) => p.case === 'userErased' && p.value.userId === user.userId)
      .length;
  assert.equal(await erasedEvents(), 1);
  await runErasurePass(t.lifecycle);
  assert.equal(await erasedEvents(), 1, 'not re-published within the day');
  t.h.clock.advance(ERASURE_REPUBLISH_MS + 1000);
  await runErasurePass(t.lifecycle);
  assert.equal(await erasedEvents(), 2, 're-published after a day');

  // A duplicate acknowledgement changes nothing; the last missing ones finish the saga.
  await publishAs(t, 'auth', {
    case: 'dataErasureCompleted',
    value: { userId: user.userId, service: KithService.AUTH },
  });
  await ackFromMissingServices(user.userId);
  await eventually(async () => (await saga()) === undefined, 'the saga to finish');
  assert.deepEqual(await acks(), []);
});

test('an acknowledgement for a user with no running erasure is ignored', async () => {
  const user = await member();
  await (await as(user)).requestAccountDeletion({});
  // Still in the grace period: nothing was published, so nothing can be acknowledged.
  await publishAs(t, 'post', {
    case: 'dataErasureCompleted',
    value: { userId: user.userId, service: KithService.POST },
  });
  const stranger = crypto.randomUUID();
  await publishAs(t, 'post', {
    case: 'dataErasureCompleted',
    value: { userId: stranger, service: KithService.POST },
  });
  await new Promise((r) => setTimeout(r, 300));
  const rows = await t.app.database.db
    .selectFrom('erasure_acks')
    .select('user_id')
    .where('user_id', 'in', [user.userId, stranger])
    .execute();
  assert.deepEqual(rows, []);
});
