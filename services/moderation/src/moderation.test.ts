// Moderation end to end in one embedded process with the real post service: reports on posts,
// the queue, staff steps, actions that post applies, appeals, expiry, and the log they leave.
import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { Code, createClient } from '@connectrpc/connect';
import { toJsonString } from '@bufbuild/protobuf';
import { durationFromMs, timestampDate, timestampMs } from '@bufbuild/protobuf/wkt';
import { ModerationService } from '@kith/gen/kith/moderation/v1/moderation_pb.js';
import {
  ActionNoticeSchema,
  ActionGround,
  ActionReversalReason,
  ActionType,
  AppealStatus,
  ReportCategory,
  ReportOutcome,
  Severity,
  SubjectStatus,
} from '@kith/gen/kith/moderation/v1/types_pb.js';
import type { EventPayload } from '@kith/runtime';
import { IncidentKind } from '@kith/gen/kith/support/v1/types_pb.js';
import { uuidv7 } from 'uuidv7';
import { waitFor } from '@kith/testkit';
import { sql } from 'kysely';
import {
  codeOf,
  deviceClient,
  seedUser,
  signInWithMailedCode,
  startAuthHarness,
  startSession,
} from '../../auth/src/testing/index.js';
import type { AuthHarness } from '../../auth/src/testing/index.js';
import { startPostHarness } from '@kith/post-service/testing';
import {
  MEDIA_PURGE_AFTER_MS,
  picture,
  purgeUnheldMedia,
  reachable,
  uploaded,
} from '@kith/post-service/testing/media';
import { userModule } from '@kith/user-service';
import { UserService } from '@kith/gen/kith/user/v1/user_pb.js';
import { NotificationService, NotificationType } from '@kith/gen/kith/user/v1/notification_pb.js';
import { PostService } from '@kith/gen/kith/post/v1/post_pb.js';
import type { PostHarness } from '@kith/post-service/testing';
import { expireActions } from './actions/take-action.js';
import { EVIDENCE_RETENTION_MS, holdEvidence, releaseEvidence } from './evidence/evidence.js';
import type { ModerationApp } from './app.js';
import { startModerationWorld } from './testing/moderation-world.js';
import type { ModerationWorld, StaffRole } from './testing/moderation-world.js';
import { applyEvent, NEW_SUBJECT } from './subjects/status.js';
import { subjectLog } from './subjects/subject-store.js';
import { eventOf } from './views.js';

let w: ModerationWorld<PostHarness<AuthHarness>>;
let c: PostHarness<AuthHarness>;
let app: ModerationApp;

beforeAll(async () => {
  // Expiry is run by the test (expireActions), at the times it chooses.
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

const publishAs = (source: string, payload: EventPayload) => w.publishAs(source, payload);
const moderationEvents = () => w.events();
const staff = (role: StaffRole) => w.staff(role);
const advance = (ms: number, people?: { userId: string; accessToken: string }[]) =>
  w.advance(ms, people);
const person = async () => w.withModeration(await c.person());

const pub = { kind: { case: 'public' as const, value: {} } };
const followersOnly = { kind: { case: 'followers' as const, value: {} } };
const postSubject = (postId: string) => ({ kind: { case: 'postId' as const, value: postId } });

const takeHide = {
  type: ActionType.HIDE_CONTENT,
  policy: 'harassment.targeted',
  severity: Severity.MEDIUM,
  ground: ActionGround.TERMS,
  statementOfReasons: 'The post targets another member with insults.',
  internalNote: 'second report this week',
};

test('reports on a post merge per reporter, count reporters, and reach the queue; bad reports are refused', async () => {
  const author = await person();
  const ana = await person();
  const bo = await person();
  const triage = await staff('triage');
  const { post } = await author.posts.createPost({ text: 'you are all idiots', audience: pub });
  const subject = postSubject(post!.postId);

  const first = await ana.moderation.report({
    subject,
    category: ReportCategory.HARASSMENT,
    subcategory: 'harassment.targeted',
    comment: 'insults',
  });
  assert.equal(first.report?.outcome, ReportOutcome.PENDING);
  const again = await ana.moderation.report({
    subject,
    category: ReportCategory.HARASSMENT,
    comment: 'still there',
  });
  assert.equal(again.report?.reportId, first.report?.reportId, 'merged into the pending report');
  assert.equal(again.report?.comment, 'still there');
  await bo.moderation.report({ subject, category: ReportCategory.SPAM });

  const { items } = await triage.console.listQueue({});
  const item = items.find((i) => i.subject?.kind.value === post!.postId);
  assert.ok(item, 'the reported post is in the queue');
  assert.equal(item.status, SubjectStatus.OPEN);
  assert.equal(item.reportCount, 2);
  assert.equal(item.reporterCount, 2);
  assert.deepEqual(item.categories, [ReportCategory.SPAM, ReportCategory.HARASSMENT]);

  const mine = await ana.moderation.listMyReports({});
  assert.deepEqual(
    mine.reports.map((r) => r.reportId),
    [first.report!.reportId],
  );

  // Refused: a subcategory of another category, one's own post, a post the reporter cannot see.
  assert.equal(
    await codeOf(
      ana.moderation.report({ subject, category: ReportCategory.SPAM, subcategory: 'hate.slurs' }),
    ),
    Code.InvalidArgument,
  );
  assert.equal(
    await codeOf(author.moderation.report({ subject, category: ReportCategory.SPAM })),
    Code.InvalidArgument,
  );
  const { post: hidden } = await author.posts.createPost({ text: 'mine', audience: followersOnly });
  assert.equal(
    await codeOf(
      ana.moderation.report({
        subject: postSubject(hidden!.postId),
        category: ReportCategory.SPAM,
      }),
    ),
    Code.NotFound,
  );
  assert.equal(
    await codeOf(
      ana.moderation.report({
        subject,
        category: ReportCategory.SPAM,
        postIds: [hidden!.postId],
      }),
    ),
    Code.NotFound,
  );
});

test('child safety outranks spam in the queue; triage sorts, escalates and may not dismiss what is escalated', async () => {
  const author = await person();
  const ana = await person();
  const triage = await staff('triage');
  const moderator = await staff('moderator');
  const { post: spam } = await author.posts.createPost({ text: 'buy now', audience: pub });
  const { post: harm } = await author.posts.createPost({ text: 'a bad one', audience: pub });
  await ana.moderation.report({
    subject: postSubject(spam!.postId),
    category: ReportCategory.SPAM,
  });
  await ana.moderation.report({
    subject: postSubject(harm!.postId),
    category: ReportCategory.CHILD_SAFETY,
  });
  const { items } = await triage.console.listQueue({ pageSize: 100 });
  const order = items.map((i) => i.subject?.kind.value);
  assert.ok(order.indexOf(harm!.postId) < order.indexOf(spam!.postId), 'child safety first');
  const filtered = await triage.console.listQueue({ categories: [ReportCategory.CHILD_SAFETY] });
  assert.ok(filtered.items.every((i) => i.categories.includes(ReportCategory.CHILD_SAFETY)));

  const subject = postSubject(harm!.postId);
  const acked = await triage.console.acknowledge({ subject });
  assert.equal(acked.item?.status, SubjectStatus.ACKNOWLEDGED);
  assert.equal(acked.item?.assigneeId, triage.userId);
  const tagged = await triage.console.tagSubject({ subject, add: ['lang:en', 'needs-legal'] });
  assert.deepEqual(tagged.item?.tags, ['lang:en', 'needs-legal']);
  const prioritised = await triage.console.setPriority({
    subject,
    change: { case: 'priority', value: 5 },
  });
  assert.equal(prioritised.item?.priority, 5);
  assert.equal(prioritised.item?.priorityOverridden, true);
  const cleared = await triage.console.setPriority({
    subject,
    change: { case: 'clear', value: true },
  });
  assert.ok(cleared.item!.priority >= 70, 'the computed priority is back');
  assert.equal(
    await codeOf(triage.console.assign({ subject, assigneeId: ana.userId })),
    Code.FailedPrecondition,
    'only staff can be assigned',
  );
  const assigned = await triage.console.assign({ subject, assigneeId: moderator.userId });
  assert.equal(assigned.item?.assigneeId, moderator.userId);
  const escalated = await triage.console.escalate({ subject, reason: 'needs a moderator' });
  assert.equal(escalated.item?.status, SubjectStatus.ESCALATED);
  assert.equal(
    await codeOf(triage.console.dismiss({ subject, reason: 'fine' })),
    Code.PermissionDenied,
  );
  const dismissed = await moderator.console.dismiss({ subject, reason: 'not what it seemed' });
  assert.equal(dismissed.item?.status, SubjectStatus.DISMISSED);
  const [report] = (await ana.moderation.listMyReports({})).reports.filter(
    (r) => r.subject?.kind.value === harm!.postId,
  );
  assert.equal(report?.outcome, ReportOutcome.NO_VIOLATION);
  assert.ok(report?.outcomeMessage, 'the reporter is told in plain words');
  assert.equal(
    await codeOf(moderator.console.dismiss({ subject, reason: 'again' })),
    Code.FailedPrecondition,
  );

  const reopened = await moderator.console.reopen({ subject, reason: 'new context' });
  assert.equal(reopened.item?.status, SubjectStatus.OPEN);
  const [pendingAgain] = (await ana.moderation.listMyReports({})).reports.filter(
    (r) => r.subject?.kind.value === harm!.postId,
  );
  assert.equal(pendingAgain?.outcome, ReportOutcome.PENDING);

  const log = await triage.console.getSubject({ subject, pageSize: 100 });
  assert.deepEqual(log.events.map((e) => e.kind.case).reverse(), [
    'reportFiled',
    'acknowledged',
    'tagged',
    'priorityChanged',
    'priorityChanged',
    'assigned',
    'escalated',
    'dismissed',
    'reopened',
  ]);
});

test('a hide with a strike hides the post from readers, tells the reporter, and reverses itself exactly once at expiry', async () => {
  const author = await person();
  const reader = await person();
  const moderator = await staff('moderator');
  const { post } = await author.posts.createPost({ text: 'you people are trash', audience: pub });
  const subject = postSubject(post!.postId);
  await reader.moderation.report({ subject, category: ReportCategory.HARASSMENT });

  assert.equal(
    await codeOf(moderator.console.takeAction({ ...takeHide, subject, policy: 'no.such_policy' })),
    Code.InvalidArgument,
  );
  const { action } = await moderator.console.takeAction({
    ...takeHide,
    subject,
    strike: true,
    duration: durationFromMs(3600_000),
  });
  assert.ok(action?.strikeId);
  assert.equal(action?.userId, author.userId);
  assert.equal(action?.internalNote, takeHide.internalNote);

  await waitFor(
    async () => (await codeOf(reader.posts.getPost({ postId: post!.postId }))) === Code.NotFound,
    {
      what: 'post to apply the hide',
    },
  );
  assert.equal(await codeOf(author.posts.getPost({ postId: post!.postId })), 'ok');

  const [report] = (await reader.moderation.listMyReports({})).reports;
  assert.equal(report?.outcome, ReportOutcome.ACTION_TAKEN);

  const mine = await author.moderation.listMyActions({});
  const notice = mine.actions[0]!;
  assert.equal(notice.actionId, action!.actionId);
  assert.equal(notice.canAppeal, true);
  assert.equal(notice.statementOfReasons?.explanation, takeHide.statementOfReasons);
  assert.ok(notice.statementOfReasons?.redress.includes('appeal'));
  assert.equal(
    toJsonString(ActionNoticeSchema, notice).includes(takeHide.internalNote),
    false,
    'no staff note',
  );
  assert.equal((await author.moderation.listMyStrikes({})).strikes.length, 1);
  assert.equal(
    await codeOf(reader.moderation.getMyAction({ actionId: action!.actionId })),
    Code.NotFound,
  );

  const summary = await moderator.console.getSubject({ subject });
  assert.equal(summary.summary?.status, SubjectStatus.ACTIONED);
  assert.equal(summary.activeActions.length, 1);
  assert.equal(summary.activeStrikeCount, 1);

  await advance(3600_000 - 1000);
  assert.equal(await expireActions(app), 0, 'not yet');
  await advance(1000);
  const [a, b] = await Promise.all([expireActions(app), expireActions(app)]);
  assert.equal(a + b, 1, 'reversed exactly once');
  assert.equal(await expireActions(app), 0);
  await waitFor(
    async () => (await codeOf(reader.posts.getPost({ postId: post!.postId }))) === 'ok',
    {
      what: 'post to lift the hide',
    },
  );
  const after = await moderator.console.getSubject({ subject });
  assert.equal(after.activeActions.length, 0);
  const reversal = after.events.find((e) => e.kind.case === 'actionReversed');
  assert.equal(
    reversal?.kind.case === 'actionReversed' && reversal.kind.value.cause,
    ActionReversalReason.EXPIRED,
  );
  const published = (await moderationEvents()).flatMap((e) =>
    (e.case === 'moderationContentActioned' || e.case === 'moderationActionReversed') &&
    e.value.actionId === action!.actionId
      ? [[e.case, e.value.version, e.value.enforcement?.hidden]]
      : [],
  );
  assert.deepEqual(published, [
    ['moderationContentActioned', 1n, true],
    ['moderationActionReversed', 2n, false],
  ]);
});

test('an appeal: once per action, within six months, decided by someone other than who acted; overturning reverses the action', async () => {
  const author = await person();
  const acting = await staff('moderator');
  const other = await staff('moderator');
  const { post } = await author.posts.createPost({ text: 'appeal me', audience: pub });
  const subject = postSubject(post!.postId);
  const { action } = await acting.console.takeAction({ ...takeHide, subject });

  const { appeal } = await author.moderation.appeal({
    actionId: action!.actionId,
    text: 'It was a joke between friends.',
  });
  assert.equal(appeal?.status, AppealStatus.PENDING);
  assert.equal(
    await codeOf(author.moderation.appeal({ actionId: action!.actionId, text: 'again' })),
    Code.AlreadyExists,
  );
  const listed = await other.console.listAppeals({});
  assert.ok(listed.appeals.some((a) => a.appealId === appeal!.appealId));
  assert.equal(
    await codeOf(
      acting.console.resolveAppeal({
        appealId: appeal!.appealId,
        decision: AppealStatus.OVERTURNED,
        reason: 'mine',
      }),
    ),
    Code.PermissionDenied,
  );
  const resolved = await other.console.resolveAppeal({
    appealId: appeal!.appealId,
    decision: AppealStatus.OVERTURNED,
    reason: 'Context shows it was banter.',
  });
  assert.equal(resolved.appeal?.status, AppealStatus.OVERTURNED);
  const notice = (await author.moderation.getMyAction({ actionId: action!.actionId })).action!;
  assert.equal(notice.reversalCause, ActionReversalReason.APPEAL_OVERTURNED);
  assert.equal(notice.canAppeal, false);
  assert.equal(
    await codeOf(
      other.console.resolveAppeal({
        appealId: appeal!.appealId,
        decision: AppealStatus.UPHELD,
        reason: 'again',
      }),
    ),
    Code.FailedPrecondition,
  );
  const told = (await moderationEvents()).flatMap((e) =>
    e.case === 'moderationAppealResolved' && e.value.appealId === appeal!.appealId
      ? [e.value.userId]
      : [],
  );
  assert.deepEqual(told, [author.userId]);
});

test('the appeal deadline is six calendar months after the action, to the millisecond', async () => {
  const author = await person();
  const moderator = await staff('moderator');
  const { post: p1 } = await author.posts.createPost({ text: 'one', audience: pub });
  const { post: p2 } = await author.posts.createPost({ text: 'two', audience: pub });
  const { action: a1 } = await moderator.console.takeAction({
    ...takeHide,
    subject: postSubject(p1!.postId),
  });
  const { action: a2 } = await moderator.console.takeAction({
    ...takeHide,
    subject: postSubject(p2!.postId),
  });
  const taken = timestampDate(a1!.createdAt!);
  const deadline = timestampDate(a1!.appealDeadline!);
  const sixMonths = new Date(taken);
  sixMonths.setUTCMonth(sixMonths.getUTCMonth() + 6);
  if (sixMonths.getUTCDate() !== taken.getUTCDate()) sixMonths.setUTCDate(0);
  assert.equal(deadline.getTime(), sixMonths.getTime());
  assert.equal(timestampDate(a2!.appealDeadline!).getTime(), deadline.getTime());
  const people = [author];
  await advance(deadline.getTime() - c.h.clock.now().getTime(), people);
  await author.moderation.appeal({ actionId: a1!.actionId, text: 'on the last moment' });
  await advance(1000, people);
  assert.equal(
    await codeOf(author.moderation.appeal({ actionId: a2!.actionId, text: 'a second late' })),
    Code.FailedPrecondition,
  );
});

test('a muted reporter is recorded but stays out of the queue and is not told', async () => {
  const author = await person();
  const noisy = await person();
  const moderator = await staff('moderator');
  await moderator.console.muteReporter({
    reporterId: noisy.userId,
    duration: durationFromMs(24 * 3600_000),
    reason: 'mass reporting',
  });
  const { post } = await author.posts.createPost({ text: 'harmless', audience: pub });
  const subject = postSubject(post!.postId);
  await noisy.moderation.report({ subject, category: ReportCategory.SPAM });
  const queue = await moderator.console.listQueue({ pageSize: 100 });
  assert.equal(
    queue.items.some((i) => i.subject?.kind.value === post!.postId),
    false,
  );
  const muted = await moderator.console.listMutedReporters({});
  assert.ok(muted.reporters.some((r) => r.reporterId === noisy.userId));
  await moderator.console.takeAction({ ...takeHide, subject });
  const [report] = (await noisy.moderation.listMyReports({})).reports;
  assert.equal(report?.outcome, ReportOutcome.ACTION_TAKEN, 'decided with the subject');
  const decided = (await moderationEvents()).filter(
    (e) => e.case === 'moderationReportDecided' && e.value.subject?.kind.value === post!.postId,
  );
  assert.equal(decided.length, 0, 'the muted reporter is not told');
});

test('the log is append-only, and every subject status equals the fold of its log', async () => {
  const db = app.database.db;
  await assert.rejects(
    sql`update ${app.database.table('events')} set kind = 'x'`.execute(db),
    /append-only/,
  );
  await assert.rejects(sql`delete from ${app.database.table('events')}`.execute(db), /append-only/);
  const subjects = await db.selectFrom('subjects').selectAll().execute();
  assert.ok(subjects.length > 5);
  for (const row of subjects) {
    const log = await subjectLog(db, row);
    const reports = await db
      .selectFrom('reports')
      .select(['id', 'queued'])
      .where('subject_id', '=', row.id)
      .execute();
    const queued = new Map(reports.map((r) => [r.id, r.queued]));
    let state = NEW_SUBJECT;
    for (const e of log) {
      const event = eventOf(e);
      const reportId = event.kind.case === 'reportFiled' ? event.kind.value.reportId : '';
      state = applyEvent(state, event, { queued: queued.get(reportId) ?? true });
    }
    assert.equal(state.status, row.status, `status of ${row.id}`);
    assert.equal(state.assignee_id, row.assignee_id);
    assert.deepEqual(state.tags, row.tags);
  }
});

test('reporting an account keeps its profile as the reporter saw it; a suspension hides the profile and reaches the account', async () => {
  // Signed up the whole way (register, mailed link, login), so the user service has the profile.
  const target = await c.h.signUp();
  const reporter = await person();
  const moderator = await staff('moderator');
  const subject = { kind: { case: 'userId' as const, value: target.userId } };
  let report: Awaited<ReturnType<typeof reporter.moderation.report>> | undefined;
  await waitFor(
    async () => {
      report = await reporter.moderation
        .report({ subject, category: ReportCategory.IMPERSONATION, comment: 'not the real one' })
        .catch(() => undefined);
      return report !== undefined;
    },
    { what: 'the user service to know the profile' },
  );
  assert.equal(report!.report?.outcome, ReportOutcome.PENDING);
  assert.equal(
    await codeOf(
      createClient(ModerationService, c.h.as(target.accessToken).transport).report({
        subject,
        category: ReportCategory.SPAM,
      }),
    ),
    Code.InvalidArgument,
    'nobody reports themselves',
  );
  const content = await moderator.console.getSubjectContent({ subject });
  assert.equal(
    content.snapshot?.content.case === 'profile' && content.snapshot.content.value.username,
    target.username,
  );
  const viewed = await moderator.console.getSubject({ subject });
  assert.equal(viewed.events[0]?.kind.case, 'contentViewed', 'reading content is logged');

  const { action } = await moderator.console.takeAction({
    subject,
    type: ActionType.SUSPEND,
    policy: 'impersonation',
    severity: Severity.HIGH,
    ground: ActionGround.TERMS,
    statementOfReasons: 'The account poses as another member.',
    duration: durationFromMs(7 * 24 * 3600_000),
  });
  assert.equal(action?.userId, target.userId);
  const users = createClient(UserService, c.h.as(reporter.accessToken).transport);
  await waitFor(
    async () =>
      (await codeOf(users.getProfile({ lookup: { case: 'userId', value: target.userId } }))) ===
      Code.NotFound,
    { what: 'the user service to hide the suspended profile' },
  );
  const published = (await moderationEvents()).flatMap((e) =>
    e.case === 'moderationAccountActioned' && e.value.actionId === action!.actionId
      ? [e.value.enforcement]
      : [],
  );
  assert.equal(published.length, 1);
  assert.equal(published[0]?.suspended, true);
  assert.ok(published[0]?.suspendedUntil, 'until the suspension ends');
  assert.equal(
    await codeOf(
      moderator.console.takeAction({
        subject,
        type: ActionType.HIDE_CONTENT,
        policy: 'impersonation',
        severity: Severity.HIGH,
        ground: ActionGround.TERMS,
        statementOfReasons: 'x',
      }),
    ),
    Code.InvalidArgument,
    'content actions need content',
  );
});

test('a suspended account signs in to a restricted session: it reads the decision, appeals and exports, and nothing else; an overturned appeal gives everything back', async () => {
  const target = await c.h.signUp();
  const acting = await staff('moderator');
  const other = await staff('moderator');
  const subject = { kind: { case: 'userId' as const, value: target.userId } };
  const { action } = await acting.console.takeAction({
    subject,
    type: ActionType.SUSPEND,
    policy: 'spam.commercial',
    severity: Severity.HIGH,
    ground: ActionGround.TERMS,
    statementOfReasons: 'The account sent the same link to 300 people in an hour.',
  });
  const settingsCode = (token: string) =>
    codeOf(createClient(UserService, c.h.as(token).transport).getSettings({}));
  await waitFor(async () => (await settingsCode(target.accessToken)) === Code.Unauthenticated, {
    what: 'the suspension to end the old session',
  });

  // Its devices were forgotten with its sessions: the login asks for the mailed code.
  const tokens = await signInWithMailedCode(c.h, deviceClient(c.h), target);
  assert.equal(tokens.restricted, true);
  const restricted = w.withModeration({ accessToken: tokens.accessToken });
  const notices = (await restricted.moderation.listMyActions({})).actions;
  assert.deepEqual(
    notices.map((n) => [n.actionId, n.statementOfReasons?.explanation, n.canAppeal]),
    [[action!.actionId, 'The account sent the same link to 300 people in an hour.', true]],
  );
  assert.equal(
    (await restricted.moderation.getMyAction({ actionId: action!.actionId })).action?.actionId,
    action!.actionId,
  );
  const { appeal } = await restricted.moderation.appeal({
    actionId: action!.actionId,
    text: 'My account was taken over; I have changed my password.',
  });
  assert.equal(appeal?.status, AppealStatus.PENDING);
  const users = createClient(UserService, c.h.as(tokens.accessToken).transport);
  const { dataExport } = await users.requestDataExport({});
  assert.ok(dataExport?.dataExportId);
  assert.equal(
    (await users.getDataExport({ dataExportId: dataExport.dataExportId })).dataExport?.dataExportId,
    dataExport.dataExportId,
  );
  // Everything else is refused, reads and writes alike; deletion too (it would erase the ban).
  for (const [what, call] of [
    ['GetSettings', settingsCode(tokens.accessToken)],
    [
      'CreatePost',
      codeOf(
        createClient(PostService, c.h.as(tokens.accessToken).transport).createPost({
          text: 'hi',
          audience: pub,
        }),
      ),
    ],
    ['Report', codeOf(restricted.moderation.report({ subject: postSubject(uuidv7()) }))],
    ['RequestAccountDeletion', codeOf(users.requestAccountDeletion({}))],
  ] as const) {
    assert.equal(await call, Code.PermissionDenied, what);
  }

  // Someone other than who acted overturns it: the restriction ends, and a refresh is full.
  // (Tokens minted in the second the restriction ends would survive it: the clock moves on.)
  c.h.clock.advance(1_000);
  await other.console.resolveAppeal({
    appealId: appeal!.appealId,
    decision: AppealStatus.OVERTURNED,
    reason: 'The takeover is confirmed by the login history.',
  });
  await waitFor(async () => (await settingsCode(tokens.accessToken)) === Code.Unauthenticated, {
    what: 'the restricted access token to die with the restriction',
  });
  const full = (await c.h.auth.refresh({ refreshToken: tokens.refreshToken })).tokens!;
  assert.equal(full.restricted, false);
  assert.equal(await settingsCode(full.accessToken), 'ok');
});

test("a reported post's media is kept as evidence past the post's deletion and the purge, staff get a fresh link, and the retention releases it", async () => {
  const author = await person();
  const reporter = await person();
  const moderator = await staff('moderator');
  const image = await picture(64, 48);
  const media = await uploaded(author, c.h.url, image, 'image/png');
  const { post } = await author.posts.createPost({
    text: 'look at this',
    audience: pub,
    mediaIds: [media.mediaId],
  });
  const subject = postSubject(post!.postId);
  await reporter.moderation.report({ subject, category: ReportCategory.HARASSMENT });
  assert.equal(await holdEvidence(app), 1);
  assert.equal(await holdEvidence(app), 0, 'held once');

  // The author deletes the post; a day later the purge of unattached media spares the evidence.
  await author.posts.deletePost({ postId: post!.postId });
  await advance(MEDIA_PURGE_AFTER_MS + 60_000);
  await purgeUnheldMedia(c.app);
  const { snapshot } = await moderator.console.getSubjectContent({ subject });
  const kept = snapshot?.content.case === 'post' ? snapshot.content.value.media : [];
  assert.deepEqual(
    kept.map((m) => m.mediaId),
    [media.mediaId],
  );
  assert.ok(kept[0]!.url, 'a fresh link to the held file');
  const file = await fetch(reachable(kept[0]!.url, c.h.url));
  assert.equal(file.status, 200);
  assert.ok((await file.arrayBuffer()).byteLength > 0);

  // Closed, it stays through the appeal window; past the retention it is let go, then purged.
  await moderator.console.dismiss({ subject, reason: 'banter' });
  await advance(EVIDENCE_RETENTION_MS - 60_000);
  assert.equal(await releaseEvidence(app), 0);
  await advance(120_000);
  assert.equal(await releaseEvidence(app), 1);
  await advance(MEDIA_PURGE_AFTER_MS + 60_000);
  await purgeUnheldMedia(c.app);
  const gone = await moderator.console.getSubjectContent({ subject });
  const after = gone.snapshot?.content.case === 'post' ? gone.snapshot.content.value.media : [];
  assert.deepEqual(
    after.map((m) => [m.mediaId, m.url]),
    [[media.mediaId, '']],
    'the snapshot still names it; there is no file to link',
  );
});

test("a muted reporter's report keeps its media as evidence for the retention too, though the subject never enters the queue", async () => {
  const author = await person();
  const noisy = await person();
  const moderator = await staff('moderator');
  await moderator.console.muteReporter({
    reporterId: noisy.userId,
    duration: durationFromMs(24 * 3600_000),
    reason: 'mass reporting',
  });
  const media = await uploaded(author, c.h.url, await picture(32, 24), 'image/png');
  const { post } = await author.posts.createPost({
    text: 'quiet one',
    audience: pub,
    mediaIds: [media.mediaId],
  });
  await noisy.moderation.report({
    subject: postSubject(post!.postId),
    category: ReportCategory.SPAM,
  });
  assert.equal(await holdEvidence(app), 1);
  await advance(EVIDENCE_RETENTION_MS - 60_000);
  assert.equal(await releaseEvidence(app), 0, 'kept for the retention');
  await advance(120_000);
  assert.equal(await releaseEvidence(app), 1, 'not kept for ever');
});

test('the reporter hears the outcome, the actioned user the statement of reasons and the appeal decision, and nobody learns who decided', async () => {
  // Both signed up the whole way, so the user service delivers to them.
  const author = await c.h.signUp();
  const reporter = await c.h.signUp();
  const moderator = await staff('moderator');
  const other = await staff('moderator');
  const posts = createClient(PostService, c.h.as(author.accessToken).transport);
  let postId = '';
  await waitFor(
    async () => {
      postId =
        (await posts.createPost({ text: 'a nasty one', audience: pub }).catch(() => undefined))
          ?.post?.postId ?? '';
      return postId !== '';
    },
    { what: 'post to know the author' },
  );
  const reporting = createClient(ModerationService, c.h.as(reporter.accessToken).transport);
  await reporting.report({ subject: postSubject(postId), category: ReportCategory.HATE });
  const { action } = await moderator.console.takeAction({
    ...takeHide,
    subject: postSubject(postId),
    policy: 'hate',
    statementOfReasons: 'Slurs against a group.',
  });
  const authorModeration = createClient(ModerationService, c.h.as(author.accessToken).transport);
  const { appeal } = await authorModeration.appeal({ actionId: action!.actionId, text: 'No.' });
  await other.console.resolveAppeal({
    appealId: appeal!.appealId,
    decision: AppealStatus.UPHELD,
    reason: 'The decision stands.',
  });

  const inbox = async (token: string) =>
    (await createClient(NotificationService, c.h.as(token).transport).listNotifications({})).groups;
  await waitFor(async () => (await inbox(author.accessToken)).length >= 2, {
    what: 'the author to be told',
  });
  await waitFor(async () => (await inbox(reporter.accessToken)).length >= 1, {
    what: 'the reporter to be told',
  });
  const authorGroups = await inbox(author.accessToken);
  assert.deepEqual(
    authorGroups.map((g) => [g.type, g.preview]).sort(),
    [
      [NotificationType.APPEAL_DECIDED, 'The decision stands.'],
      [NotificationType.MODERATION_ACTION, 'Slurs against a group.'],
    ].sort(),
  );
  const reporterGroups = await inbox(reporter.accessToken);
  assert.deepEqual(
    reporterGroups.map((g) => g.type),
    [NotificationType.REPORT_OUTCOME],
  );
  const staffIds = [moderator.userId, other.userId];
  for (const g of [...authorGroups, ...reporterGroups]) {
    assert.equal(
      g.sampleActors.some((a) => staffIds.includes(a.userId)),
      false,
      'no moderator named',
    );
  }
});

test('reports of someone with an open SOS go first while it is open, and only a moderator dismisses them', async () => {
  const owner = await c.h.signUp();
  const reporter = await person();
  const triage = await staff('triage');
  const subject = { kind: { case: 'userId' as const, value: owner.userId } };
  await waitFor(
    async () =>
      await reporter.moderation
        .report({ subject, category: ReportCategory.SPAM })
        .then(() => true)
        .catch(() => false),
    { what: 'the user service to know the profile' },
  );
  const itemOf = async () => (await triage.console.getSubject({ subject })).summary!;
  assert.equal((await itemOf()).sosRelated, false);
  const incidentId = uuidv7();
  await publishAs('support', {
    case: 'supportAlertRaised',
    value: { incidentId, ownerId: owner.userId, kind: IncidentKind.SOS, version: 1n },
  });
  await waitFor(async () => (await itemOf()).sosRelated, { what: 'the SOS to be known' });
  assert.ok((await itemOf()).priority >= 90);
  const sosOnly = await triage.console.listQueue({ sosRelatedOnly: true, pageSize: 100 });
  assert.ok(sosOnly.items.some((i) => i.subject?.kind.value === owner.userId));
  assert.equal(
    await codeOf(triage.console.dismiss({ subject, reason: 'spam?' })),
    Code.PermissionDenied,
  );
  await publishAs('support', {
    case: 'supportResolved',
    value: { incidentId, ownerId: owner.userId, version: 2n },
  });
  await waitFor(async () => !(await itemOf()).sosRelated, { what: 'the SOS to end' });
  assert.ok((await itemOf()).priority < 70);
  await triage.console.dismiss({ subject, reason: 'not spam' });
});

test('the queue pages across statuses in one order: highest priority first, then the oldest first report', async () => {
  const triage = await staff('triage');
  const author = await person();
  const reporters = [await person(), await person(), await person()];
  for (const [i, category] of [
    ReportCategory.SPAM,
    ReportCategory.SELF_HARM,
    ReportCategory.SPAM,
    ReportCategory.HATE,
    ReportCategory.NCII,
  ].entries()) {
    const { post } = await author.posts.createPost({ text: `queue ${i}`, audience: pub });
    const subject = postSubject(post!.postId);
    for (const r of reporters.slice(0, 1 + (i % 3)))
      await r.moderation.report({ subject, category });
    if (i === 1) await triage.console.acknowledge({ subject });
    if (i === 3) await triage.console.escalate({ subject, reason: 'legal' });
  }
  const statuses = [SubjectStatus.OPEN, SubjectStatus.ACKNOWLEDGED, SubjectStatus.ESCALATED];
  const all = (await triage.console.listQueue({ statuses, pageSize: 100 })).items;
  assert.ok(all.length >= 5);
  assert.deepEqual([...new Set(all.map((i) => i.status))].sort(), statuses);
  const keys = all.map((i) => [-i.priority, timestampMs(i.firstReportedAt!)] as const);
  assert.deepEqual(
    keys,
    [...keys].sort((a, b) => a[0] - b[0] || a[1] - b[1]),
  );
  const paged: string[] = [];
  let pageToken = '';
  do {
    const page = await triage.console.listQueue({ statuses, pageSize: 2, pageToken });
    paged.push(...page.items.map((i) => i.subject!.kind.value!));
    pageToken = page.nextPageToken;
  } while (pageToken);
  assert.deepEqual(
    paged,
    all.map((i) => i.subject!.kind.value),
  );
  assert.equal(
    await codeOf(
      triage.console.listQueue({
        statuses: [SubjectStatus.OPEN],
        pageSize: 2,
        pageToken: (await triage.console.listQueue({ statuses, pageSize: 1 })).nextPageToken,
      }),
    ),
    Code.InvalidArgument,
    'a page token is bound to its filter',
  );
});
