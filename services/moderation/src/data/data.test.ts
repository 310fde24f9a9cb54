// Moderation's part in the user service's data sagas (data_events.proto), in one embedded
// process with the real post service: user.export_requested writes the user's reports,
// actions, strikes and appeals to the export bucket as their own reads give them; user.erased
// detaches their reports, wipes their words (report comments, appeal texts, and the same words
// in the log), empties the snapshots of their content, and keeps the decisions.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, test } from 'vitest';
import { fromBinary } from '@bufbuild/protobuf';
import { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';
import type { DataExportPartReady } from '@kith/gen/kith/events/v1/data_events_pb.js';
import { ContentSnapshotSchema } from '@kith/gen/kith/moderation/v1/snapshot_pb.js';
import {
  ActionGround,
  ActionType,
  AppealStatus,
  ModerationEventSchema,
  ReportCategory,
  Severity,
} from '@kith/gen/kith/moderation/v1/types_pb.js';
import { exportBucketDir, filesystemBlobStorage, partObjectKey, sha256Hex } from '@kith/runtime';
import type { EventPayload } from '@kith/runtime';
import { waitFor } from '@kith/testkit';
import { sql } from 'kysely';
import { startPostHarness } from '@kith/post-service/testing';
import type { PostHarness } from '@kith/post-service/testing';
import { userModule } from '@kith/user-service';
import { seedUser, startAuthHarness, startSession } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import type { ModerationApp } from '../app.js';
import { startModerationWorld } from '../testing/moderation-world.js';
import type { ModerationWorld } from '../testing/moderation-world.js';

let w: ModerationWorld<PostHarness<AuthHarness>>;
let c: PostHarness<AuthHarness>;
let app: ModerationApp;

beforeAll(async () => {
  w = await startModerationWorld<AuthHarness, PostHarness<AuthHarness>>({
    start: (module) =>
      startPostHarness({
        start: (o) => startAuthHarness({ ...o, modules: [...o.modules, userModule, module] }),
        seed: (h) => seedUser(h),
        anonymous: (h) => h.withHeaders({}).transport,
      }),
    seedStaff: (h, role) => seedUser(h, { role }),
    signIn: async (h, account) => (await startSession(h, account)).accessToken,
  });
  ({ c, app } = w);
});
afterAll(() => w?.stop());

const pub = { kind: { case: 'public' as const, value: {} } };
const postSubject = (postId: string) => ({ kind: { case: 'postId' as const, value: postId } });
const person = async () => w.withModeration(await c.person());
const staff = (role: 'moderator') => w.staff(role);
const publishAs = (source: string, payload: EventPayload) => w.publishAs(source, payload);
const outbox = () => w.events();

async function until<T>(find: (payloads: EventPayload[]) => T | undefined, what: string) {
  let found: T | undefined;
  await waitFor(
    async () => {
      found = find(await outbox());
      return found !== undefined;
    },
    { timeoutMs: 15_000, intervalMs: 50, what },
  );
  return found!;
}

/** The files of a ZIP as fflate's zipSync writes them (sizes in the local headers). */
function unzip(zip: Uint8Array): Record<string, string> {
  const buf = Buffer.from(zip);
  const files: Record<string, string> = {};
  let at = 0;
  while (buf.readUInt32LE(at) === 0x04034b50) {
    const method = buf.readUInt16LE(at + 8);
    const size = buf.readUInt32LE(at + 18);
    const nameLength = buf.readUInt16LE(at + 26);
    const extraLength = buf.readUInt16LE(at + 28);
    const name = buf.toString('utf8', at + 30, at + 30 + nameLength);
    const start = at + 30 + nameLength + extraLength;
    const data = buf.subarray(start, start + size);
    files[name] = (method === 8 ? inflateRawSync(data) : data).toString('utf8');
    at = start + size;
  }
  return files;
}

/** Publishes user.export_requested; moderation's part once announced, as its JSON files. */
async function exportOf(userId: string) {
  const dataExportId = crypto.randomUUID();
  await publishAs('user', { case: 'userExportRequested', value: { userId, dataExportId } });
  const part = await until(
    (ps) =>
      ps.find((p) => p.case === 'dataExportPartReady' && p.value.dataExportId === dataExportId)
        ?.value as DataExportPartReady | undefined,
    "moderation's export part",
  );
  assert.equal(part.service, KithService.MODERATION);
  assert.equal(part.objectKey, partObjectKey(dataExportId, KithService.MODERATION));
  const zip = await filesystemBlobStorage(exportBucketDir(app.ctx)).get(part.objectKey);
  assert.ok(zip, 'the part is in the export bucket');
  assert.equal(part.sha256, sha256Hex(zip));
  const files = unzip(zip);
  assert.deepEqual(Object.keys(files).sort(), [
    'actions.json',
    'appeals.json',
    'reports.json',
    'strikes.json',
  ]);
  const json = (name: string) => JSON.parse(files[`${name}.json`]!) as Record<string, unknown>[];
  return { json, text: Object.values(files).join('\n') };
}

/** Publishes user.erased; resolves once moderation acknowledged it `times` times in all. */
async function erase(userId: string, times: number) {
  await publishAs('user', { case: 'userErased', value: { userId } });
  await until((ps) => {
    const acks = ps.filter(
      (p) =>
        p.case === 'dataErasureCompleted' &&
        p.value.userId === userId &&
        p.value.service === KithService.MODERATION,
    );
    return acks.length >= times ? acks : undefined;
  }, 'moderation to acknowledge the erasure');
}

// Each world's texts are its own (the log is shared by every test).
const tag = () => crypto.randomUUID().slice(0, 8);
let STAFF_NOTE = '';
let REPORT_COMMENT = '';
let APPEAL_TEXT = '';
let POST_TEXT = '';
let WITNESS_COMMENT = '';

/**
 * The erased user (`user`) filed a report on someone's post, wrote a post that someone else
 * reported and a moderator hid with a strike, and appealed; another moderator upheld it.
 */
async function world() {
  const t = tag();
  STAFF_NOTE = `staff only: the third of these this week ${t}`;
  REPORT_COMMENT = `He keeps insulting me in the replies ${t}`;
  APPEAL_TEXT = `It was a quote from a film, not an insult ${t}`;
  POST_TEXT = `you are a clown and everyone knows it ${t}`;
  WITNESS_COMMENT = `the witness wrote this ${t}`;
  const user = await person();
  const other = await person();
  const witness = await person();
  const acting = await staff('moderator');
  const deciding = await staff('moderator');
  const { post: theirs } = await other.posts.createPost({ text: 'rude post', audience: pub });
  const { report } = await user.moderation.report({
    subject: postSubject(theirs!.postId),
    category: ReportCategory.HARASSMENT,
    subcategory: 'harassment.targeted',
    comment: REPORT_COMMENT,
  });
  const { post: mine } = await user.posts.createPost({ text: POST_TEXT, audience: pub });
  const { report: against } = await witness.moderation.report({
    subject: postSubject(mine!.postId),
    category: ReportCategory.HARASSMENT,
    comment: WITNESS_COMMENT,
  });
  const { action } = await acting.console.takeAction({
    subject: postSubject(mine!.postId),
    type: ActionType.HIDE_CONTENT,
    policy: 'harassment.targeted',
    severity: Severity.MEDIUM,
    ground: ActionGround.TERMS,
    statementOfReasons: 'The post insults another member.',
    internalNote: STAFF_NOTE,
    strike: true,
  });
  const { appeal } = await user.moderation.appeal({
    actionId: action!.actionId,
    text: APPEAL_TEXT,
  });
  await deciding.console.resolveAppeal({
    appealId: appeal!.appealId,
    decision: AppealStatus.UPHELD,
    reason: 'The insult stands.',
  });
  return { user, other, witness, acting, deciding, theirs, mine, report, against, action, appeal };
}

test("the export holds the user's reports, actions, strikes and appeals as they see them, and nothing staff-only", async () => {
  const w = await world();
  const { json, text } = await exportOf(w.user.userId);

  const reports = json('reports');
  assert.equal(reports.length, 1);
  assert.equal(reports[0]!.reportId, w.report!.reportId);
  assert.equal(reports[0]!.comment, REPORT_COMMENT);
  assert.equal(reports[0]!.subcategory, 'harassment.targeted');
  assert.deepEqual(reports[0]!.subject, { postId: w.theirs!.postId });

  const actions = json('actions');
  assert.deepEqual(
    actions.map((a) => a.actionId),
    [w.action!.actionId],
  );
  const action = actions[0]!;
  assert.equal(action.strikeId, w.action!.strikeId);
  assert.ok(action.appealDeadline);
  assert.equal(
    (action.statementOfReasons as Record<string, unknown>).explanation,
    'The post insults another member.',
  );
  assert.equal((action.appeal as Record<string, unknown>).text, APPEAL_TEXT);

  assert.deepEqual(
    json('strikes').map((s) => s.strikeId),
    [w.action!.strikeId],
  );
  const appeals = json('appeals');
  assert.equal(appeals.length, 1);
  assert.equal(appeals[0]!.text, APPEAL_TEXT);
  assert.equal(appeals[0]!.status, 'APPEAL_STATUS_UPHELD');
  assert.equal(appeals[0]!.decisionReason, 'The insult stands.');

  // Nothing staff-only: no note, no moderator, no other reporter, no snapshot of content.
  for (const foreign of [
    STAFF_NOTE,
    w.acting.userId,
    w.deciding.userId,
    w.witness.userId,
    w.against!.reportId,
    WITNESS_COMMENT,
    'rude post',
    'internalNote',
    'actor',
  ]) {
    assert.ok(!text.includes(foreign), `${foreign} is in the export`);
  }

  // A user moderation does not know gets empty categories.
  const nobody = await exportOf(crypto.randomUUID());
  for (const name of ['reports', 'actions', 'strikes', 'appeals']) {
    assert.deepEqual(nobody.json(name), []);
  }
});

/** Every row that could hold the erased user's data, as stored. */
async function state(ids: { report: string; appeal: string; action: string; postId: string }) {
  const db = app.database.db;
  return {
    report: await db
      .selectFrom('reports')
      .selectAll()
      .where('id', '=', ids.report)
      .executeTakeFirstOrThrow(),
    appeal: await db
      .selectFrom('appeals')
      .selectAll()
      .where('id', '=', ids.appeal)
      .executeTakeFirstOrThrow(),
    action: await db
      .selectFrom('actions')
      .selectAll()
      .where('id', '=', ids.action)
      .executeTakeFirstOrThrow(),
    snapshots: await db
      .selectFrom('snapshots')
      .selectAll()
      .where('subject_id', '=', ids.postId)
      .orderBy('id')
      .execute(),
    events: await db.selectFrom('events').selectAll().orderBy('seq').execute(),
  };
}

test('erasure detaches their reports, wipes their words from the tables and the log, empties their snapshots, keeps the decisions; a redelivery changes nothing', async () => {
  const w = await world();
  const userId = w.user.userId;
  const db = app.database.db;
  await db
    .insertInto('reporter_mutes')
    .values({
      reporter_id: userId,
      until: new Date(Date.now() + 3600_000),
      muted_by: w.acting.userId,
      muted_at: new Date(),
    })
    .execute();
  const ids = {
    report: w.report!.reportId,
    appeal: w.appeal!.appealId,
    action: w.action!.actionId,
    postId: w.mine!.postId,
  };
  const before = await state(ids);
  assert.ok(before.snapshots.length > 0, 'their post was snapshotted when reported');

  await erase(userId, 1);
  const after = await state(ids);

  // Their report stays as the record of what was reported, without them or their words.
  assert.notEqual(after.report.reporter_id, userId);
  assert.equal(after.report.comment, '');
  assert.equal(after.report.subject_id, w.theirs!.postId);
  assert.equal(after.report.category, ReportCategory.HARASSMENT);
  // Their appeal keeps its decision, without their text.
  assert.equal(after.appeal.text, '');
  assert.equal(after.appeal.status, AppealStatus.UPHELD);
  assert.equal(after.appeal.decision_reason, 'The insult stands.');
  // The action and its strike stay as the decision's record.
  assert.deepEqual(after.action, before.action);
  assert.equal(
    (await db.selectFrom('strikes').select('id').where('user_id', '=', userId).execute()).length,
    1,
  );
  // The snapshots of their post stay, without its content.
  assert.equal(after.snapshots.length, before.snapshots.length);
  for (const row of after.snapshots) {
    const snapshot = fromBinary(ContentSnapshotSchema, row.body);
    assert.equal(snapshot.content.case, undefined);
    assert.equal(snapshot.subject?.kind.value, w.mine!.postId);
    assert.ok(!Buffer.from(row.body).toString('latin1').includes(POST_TEXT));
  }
  // Their reporter mute is gone.
  assert.equal(
    (
      await db
        .selectFrom('reporter_mutes')
        .select('reporter_id')
        .where('reporter_id', '=', userId)
        .execute()
    ).length,
    0,
  );

  // The log keeps every event, in order; only the ones with their words were rewritten.
  assert.deepEqual(
    after.events.map((e) => [e.seq, e.id, e.kind, e.subject_id]),
    before.events.map((e) => [e.seq, e.id, e.kind, e.subject_id]),
  );
  const changed = after.events.filter((e, i) => e.redacted_at !== before.events[i]!.redacted_at);
  assert.deepEqual(changed.map((e) => e.kind).sort(), [
    'appealFiled',
    'appealResolved',
    'reportFiled',
  ]);
  const logText = after.events.map((e) => Buffer.from(e.body).toString('latin1')).join('\n');
  assert.ok(!logText.includes(REPORT_COMMENT), 'their report comment is in the log');
  assert.ok(!logText.includes(APPEAL_TEXT), 'their appeal text is in the log');
  assert.ok(logText.includes(WITNESS_COMMENT), "another reporter's comment stays");
  assert.ok(logText.includes(STAFF_NOTE), 'the action as staff took it stays');
  for (const event of changed) {
    assert.ok(event.redacted_at);
    const body = fromBinary(ModerationEventSchema, event.body);
    if (body.kind.case === 'reportFiled') {
      assert.equal(event.actor_user_id, null);
      assert.equal(body.actor?.kind.case, undefined);
      assert.equal(body.kind.value.reportId, w.report!.reportId);
    } else {
      assert.ok(body.kind.case === 'appealFiled' || body.kind.case === 'appealResolved');
      assert.equal(body.kind.value.appealId, w.appeal!.appealId);
      assert.equal(body.kind.value.status === AppealStatus.UNSPECIFIED, false);
    }
  }
  // Their export afterwards holds only what is still theirs: the decisions about them.
  const exported = await exportOf(userId);
  assert.deepEqual(exported.json('reports'), []);
  assert.equal(exported.json('actions').length, 1);

  // A second delivery acknowledges again and changes nothing.
  await erase(userId, 2);
  assert.deepEqual(await state(ids), after);
});

test('the log still refuses an ordinary UPDATE and every DELETE, and erasure cannot rewrite an event twice or change more than its body', async () => {
  const w = await world();
  await erase(w.user.userId, 1);
  const db = app.database.db;
  const refused = async (run: () => Promise<unknown>, what: string) =>
    assert.rejects(run, /append-only/, what);
  const [event] = await db.selectFrom('events').selectAll().orderBy('seq').limit(1).execute();
  const redacted = await db
    .selectFrom('events')
    .selectAll()
    .where('redacted_at', 'is not', null)
    .limit(1)
    .executeTakeFirstOrThrow();

  await refused(
    () => db.updateTable('events').set({ kind: 'comment' }).where('seq', '=', event!.seq).execute(),
    'an ordinary UPDATE',
  );
  await refused(
    () =>
      db
        .updateTable('events')
        .set({ body: new Uint8Array(), redacted_at: new Date() })
        .where('seq', '=', event!.seq)
        .execute(),
    'a redaction outside erasure',
  );
  await refused(() => db.deleteFrom('events').where('seq', '=', event!.seq).execute(), 'a DELETE');
  // Even with erasure's setting on: only body, redacted_at and a user actor (to null) change,
  // once per event, and nothing is deleted.
  const withErasure = (run: (trx: typeof db) => Promise<unknown>) =>
    app.database.transaction(async (trx) => {
      await sql`select set_config('moderation.erasure', 'on', true)`.execute(trx);
      await run(trx);
    });
  await refused(
    () =>
      withErasure((trx) =>
        trx
          .updateTable('events')
          .set({ kind: 'comment', redacted_at: new Date() })
          .where('seq', '=', event!.seq)
          .execute(),
      ),
    'a change of kind under erasure',
  );
  await refused(
    () =>
      withErasure((trx) =>
        trx
          .updateTable('events')
          .set({ body: new Uint8Array(), redacted_at: new Date() })
          .where('seq', '=', redacted.seq)
          .execute(),
      ),
    'a second redaction',
  );
  await refused(
    () => withErasure((trx) => trx.deleteFrom('events').where('seq', '=', event!.seq).execute()),
    'a DELETE under erasure',
  );
  const after = await db.selectFrom('events').selectAll().where('seq', '=', event!.seq).execute();
  assert.deepEqual(after, [event]);
});
