// Automated rules end to end with the real post service: refusal before publishing
// (CheckContent), hides after it (the rule runner), rate rules, shadow mode, and the external
// classifier failing behind its breaker while the other rules go on.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { afterAll, beforeAll, test } from 'vitest';
import { Code, ConnectError } from '@connectrpc/connect';
import type { Client } from '@connectrpc/connect';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import type { ModerationAdminService } from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import { RateRuleEvent, RuleEffect, RuleScope } from '@kith/gen/kith/moderation/v1/rules_pb.js';
import type { Rule } from '@kith/gen/kith/moderation/v1/rules_pb.js';
import {
  ActionType,
  ReportCategory,
  SubjectStatus,
} from '@kith/gen/kith/moderation/v1/types_pb.js';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { RuleSchema } from '@kith/gen/kith/moderation/v1/rules_pb.js';
import { startPostHarness } from '@kith/post-service/testing';
import type { PostHarness } from '@kith/post-service/testing';
import { freePort, violations, waitFor } from '@kith/testkit';
import {
  codeOf,
  seedUser,
  startAuthHarness,
  startSession,
} from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import type { ModerationApp } from '../app.js';
import { startModerationWorld } from '../testing/moderation-world.js';
import type { ModerationWorld } from '../testing/moderation-world.js';
import { classifierMetrics, createClassifier } from './classifier.js';

let w: ModerationWorld<PostHarness<AuthHarness>>;
let c: PostHarness<AuthHarness>;
let app: ModerationApp;
let admin: Client<typeof ModerationAdminService>;
/** The classifier: answers 500 while `failing`, else a toxicity score of 0.95. */
let classifierServer: Server;
let failing = true;
let classifierCalls = 0;

beforeAll(async () => {
  const port = await freePort();
  classifierServer = createServer((req, res) => {
    classifierCalls += 1;
    req.resume();
    req.on('end', () => {
      if (failing) {
        res.writeHead(500).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ scores: { toxicity: 0.95 } }));
    });
  });
  await new Promise<void>((resolve) => classifierServer.listen(port, '127.0.0.1', resolve));
  w = await startModerationWorld<AuthHarness, PostHarness<AuthHarness>>(
    {
      start: (module) =>
        startPostHarness(
          {
            start: (o) => startAuthHarness({ ...o, modules: [...o.modules, module] }),
            seed: (h) => seedUser(h),
            anonymous: (h) => h.withHeaders({}).transport,
          },
          { realModeration: true },
        ),
      seedStaff: (h, role) => seedUser(h, { role }),
      signIn: async (h, account) => (await startSession(h, account)).accessToken,
    },
    {
      // CheckContent and the rule runner run as in production; expiry is not needed here.
      daemons: ['moderation-internal', 'moderation-rules'],
      classifier: (metrics) =>
        createClassifier({
          url: `http://127.0.0.1:${port}/classify`,
          failuresToOpen: 2,
          cooldownMs: 60_000,
          onSkip: (reason) => classifierMetrics(metrics).skips.inc({ reason }),
        }),
    },
  );
  ({ c, app } = w);
  admin = (await w.staff('admin')).console;
});
afterAll(async () => {
  await c?.stop();
  await new Promise((resolve) => classifierServer?.close(resolve));
});

const pub = { kind: { case: 'public' as const, value: {} } };
const postSubject = (postId: string) => ({ kind: { case: 'postId' as const, value: postId } });

async function rule(init: MessageInitShape<typeof RuleSchema>): Promise<Rule> {
  const { rule: created } = await admin.createRule({ rule: { enabled: true, ...init } });
  // Another process would see it within a second; this one at once.
  return created!;
}

const author = async () => w.withModeration(await c.person());

test('a REJECT word rule refuses the post before it is published, naming neither rule nor word; a shadow one only records', async () => {
  const enforced = await rule({
    name: 'slur list',
    condition: { case: 'wordList', value: { words: ['grotbag'], wholeWord: true } },
    effect: RuleEffect.REJECT,
    category: ReportCategory.HATE,
    scopes: [RuleScope.POST, RuleScope.REPLY],
  });
  const shadow = await rule({
    name: 'trial list',
    condition: { case: 'wordList', value: { words: ['snollygoster'], wholeWord: true } },
    effect: RuleEffect.REJECT,
    category: ReportCategory.HARASSMENT,
    scopes: [RuleScope.POST],
    shadow: true,
  });
  const ana = await author();
  const refused = await ana.posts.createPost({ text: 'you GROTBAG', audience: pub }).then(
    () => undefined,
    (err: unknown) => ConnectError.from(err),
  );
  assert.equal(refused?.code, Code.InvalidArgument);
  assert.deepEqual(
    violations(refused!).map((v) => v.field),
    ['text'],
  );
  assert.equal(refused!.message.includes('grotbag'), false);
  assert.equal(refused!.message.includes(enforced.ruleId), false);
  // Invisible and zero-width evasions are the same word.
  assert.equal(
    await codeOf(ana.posts.createPost({ text: 'you grot\u200Bbag', audience: pub })),
    Code.InvalidArgument,
  );
  const { post } = await ana.posts.createPost({ text: 'what a snollygoster', audience: pub });
  assert.ok(post?.postId, 'shadow mode publishes');

  const log = await admin.getSubject({
    subject: { kind: { case: 'userId', value: ana.userId } },
    pageSize: 10,
  });
  const matched = log.events.flatMap((e) => (e.kind.case === 'ruleMatched' ? [e.kind.value] : []));
  assert.deepEqual(
    matched.map((m) => [m.ruleId, m.rejected, m.shadow]).sort(),
    [
      [enforced.ruleId, true, false],
      [enforced.ruleId, true, false],
      [shadow.ruleId, false, true],
    ].sort(),
  );
  assert.equal(log.summary?.status, 0, 'a refusal does not open the account for review');
  // After publication the runner matches it again, on the post: recorded, no effect.
  await waitFor(
    async () => (await admin.listAuditLog({ actorRuleId: shadow.ruleId })).events.length === 2,
    { what: 'the runner to record the shadow match on the post' },
  );
  const audit = await admin.listAuditLog({ actorRuleId: shadow.ruleId });
  assert.deepEqual(audit.events.map((e) => e.subject?.kind.case).sort(), ['postId', 'userId']);
  assert.equal(await codeOf(ana.posts.getPost({ postId: post!.postId })), 'ok');
  assert.equal(
    (await admin.getSubject({ subject: postSubject(post!.postId) })).activeActions.length,
    0,
  );
});

test('a HIDE link rule hides a published post under review, opens it for a moderator, and its author may appeal', async () => {
  const hide = await rule({
    name: 'scam domains',
    condition: { case: 'link', value: { domains: ['free-prizes.example'] } },
    effect: RuleEffect.HIDE,
    category: ReportCategory.SPAM,
    scopes: [RuleScope.POST],
  });
  const bo = await author();
  const reader = await author();
  const { post } = await bo.posts.createPost({
    text: 'claim yours at https://win.FREE-PRIZES.example/now',
    audience: pub,
  });
  await waitFor(
    async () => (await codeOf(reader.posts.getPost({ postId: post!.postId }))) === Code.NotFound,
    { what: 'the rule runner and post to hide it' },
  );
  assert.equal(await codeOf(bo.posts.getPost({ postId: post!.postId })), 'ok');
  const subject = await admin.getSubject({ subject: postSubject(post!.postId), pageSize: 20 });
  assert.equal(subject.summary?.status, SubjectStatus.OPEN, 'open for review');
  const [action] = subject.activeActions;
  assert.equal(action?.type, ActionType.HIDE_CONTENT);
  assert.equal(action?.actor?.kind.case === 'ruleId' && action.actor.kind.value, hide.ruleId);
  assert.equal(action?.statementOfReasons?.automatedDecision, true);
  assert.equal(action?.statementOfReasons?.automatedDetection, true);
  const content = await admin.getSubjectContent({ subject: postSubject(post!.postId) });
  assert.equal(content.snapshots[0]?.cause.case, 'ruleId');

  const { actions } = await bo.moderation.listMyActions({});
  assert.equal(actions[0]?.canAppeal, true);
  await bo.moderation.appeal({ actionId: action!.actionId, text: 'a real giveaway' });

  // A staff reversal outranks the rule: the same content again changes nothing.
  await admin.reverseAction({ actionId: action!.actionId, reason: 'a real giveaway after all' });
  await waitFor(
    async () => (await codeOf(reader.posts.getPost({ postId: post!.postId }))) === 'ok',
    {
      what: 'post to show it again',
    },
  );
  await bo.posts.editPost({
    postId: post!.postId,
    text: 'claim yours at https://free-prizes.example/now!',
    updateMask: { paths: ['text'] },
  });
  await waitFor(
    async () =>
      (await admin.getSubject({ subject: postSubject(post!.postId) })).events.filter(
        (e) => e.kind.case === 'ruleMatched',
      ).length === 2,
    { what: 'the edit to be checked' },
  );
  assert.equal(await codeOf(reader.posts.getPost({ postId: post!.postId })), 'ok');
});

test('a rate rule flags an account past its limit and a HIDE rate rule hides each post beyond it', async () => {
  const flag = await rule({
    name: 'posting bursts',
    condition: {
      case: 'rate',
      value: {
        maxEvents: 2,
        window: durationFromMs(60_000),
        event: RateRuleEvent.POST_CREATED,
        withLinksOnly: true,
      },
    },
    effect: RuleEffect.HIDE,
    category: ReportCategory.SPAM,
  });
  const spammer = await author();
  const reader = await author();
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) {
    const { post } = await spammer.posts.createPost({
      text: `deal ${i} at shop${i}.example/offer`,
      audience: pub,
    });
    ids.push(post!.postId);
  }
  // Without a link nothing is counted.
  const { post: plain } = await spammer.posts.createPost({ text: 'just saying hi', audience: pub });
  await waitFor(
    async () =>
      (await codeOf(reader.posts.getPost({ postId: ids[3]! }))) === Code.NotFound &&
      (await codeOf(reader.posts.getPost({ postId: ids[2]! }))) === Code.NotFound,
    { what: 'the posts beyond the limit to be hidden' },
  );
  assert.equal(await codeOf(reader.posts.getPost({ postId: ids[0]! })), 'ok');
  assert.equal(await codeOf(reader.posts.getPost({ postId: ids[1]! })), 'ok');
  assert.equal(await codeOf(reader.posts.getPost({ postId: plain!.postId })), 'ok');
  const account = await admin.getSubject({
    subject: { kind: { case: 'userId', value: spammer.userId } },
  });
  assert.equal(account.summary?.status, SubjectStatus.OPEN, 'the account is flagged once');
  assert.equal(
    account.events.filter(
      (e) => e.kind.case === 'ruleMatched' && e.kind.value.ruleId === flag.ruleId,
    ).length,
    1,
  );
});

test('the classifier failing opens its breaker; the other rules keep running and each skip is counted', async () => {
  await rule({
    name: 'toxicity',
    condition: { case: 'classifier', value: { label: 'toxicity', threshold: 0.9 } },
    effect: RuleEffect.FLAG,
    category: ReportCategory.HARASSMENT,
    scopes: [RuleScope.REPLY],
  });
  const words = await rule({
    name: 'reply words',
    condition: { case: 'wordList', value: { words: ['blatherskite'], wholeWord: true } },
    effect: RuleEffect.FLAG,
    category: ReportCategory.HARASSMENT,
    scopes: [RuleScope.REPLY],
  });
  const root = await author();
  const { post } = await root.posts.createPost({ text: 'thread', audience: pub });
  const replier = await author();
  failing = true;
  const before = classifierCalls;
  const replies: string[] = [];
  for (let i = 0; i < 4; i++) {
    const { post: reply } = await replier.posts.createPost({
      text: `you blatherskite ${i}`,
      replyToPostId: post!.postId,
    });
    replies.push(reply!.postId);
  }
  await waitFor(
    async () => {
      const subjects = await Promise.all(
        replies.map((id) => admin.getSubject({ subject: postSubject(id) }).catch(() => undefined)),
      );
      return subjects.every((s) =>
        s?.events.some(
          (e) => e.kind.case === 'ruleMatched' && e.kind.value.ruleId === words.ruleId,
        ),
      );
    },
    { what: 'the word rule to flag every reply' },
  );
  assert.equal(classifierCalls - before, 2, 'the breaker opened after two failures');
  const text = await app.ctx.metrics.getSingleMetricAsString(
    'kith_moderation_classifier_skips_total',
  );
  assert.match(text, /reason="http_error"\} 2/);
  assert.match(text, /reason="breaker_open"\} 2/);
});
