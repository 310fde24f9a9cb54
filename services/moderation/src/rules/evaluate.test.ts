import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { create } from '@bufbuild/protobuf';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { afterEach, test } from 'vitest';
import {
  RateRuleEvent,
  RuleEffect,
  RuleSchema,
  RuleScope,
} from '@kith/gen/kith/moderation/v1/rules_pb.js';
import { ReportCategory } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { createClassifier } from './classifier.js';
import { compileRules, evaluateContent } from './evaluate.js';
import type { Content } from './evaluate.js';

type RuleInit = MessageInitShape<typeof RuleSchema>;

const rule = (init: RuleInit) =>
  create(RuleSchema, {
    enabled: true,
    effect: RuleEffect.FLAG,
    category: ReportCategory.SPAM,
    scopes: [RuleScope.POST, RuleScope.REPLY, RuleScope.HELP_REQUEST],
    ...init,
  });
const words = (ruleId: string, list: string[], init: RuleInit = {}) =>
  rule({
    ruleId,
    condition: { case: 'wordList', value: { words: list, wholeWord: true } },
    ...init,
  });
const links = (ruleId: string, domains: string[], init: RuleInit = {}) =>
  rule({ ruleId, condition: { case: 'link', value: { domains } }, ...init });
const classifierRule = (ruleId: string, label: string, threshold: number, init: RuleInit = {}) =>
  rule({ ruleId, condition: { case: 'classifier', value: { label, threshold } }, ...init });

const post = (...texts: string[]): Content => ({
  scope: RuleScope.POST,
  fields: texts.map((text, i) => ({ field: i === 0 ? 'text' : `media[${i - 1}].alt`, text })),
});

const servers: ReturnType<typeof createServer>[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A real classifier on 127.0.0.1 that scores every requested label from a fixed table. */
async function classifierServer(scoreOf: (text: string, label: string) => number, status = 200) {
  const requests: { text: string; labels: string[] }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const request = JSON.parse(body) as { text: string; labels: string[] };
      requests.push(request);
      const scores = Object.fromEntries(request.labels.map((l) => [l, scoreOf(request.text, l)]));
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ scores }));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return { requests, classifier: createClassifier({ url }) };
}

test('a word-list match names the rule, the field, what matched and how to act', async () => {
  const rules = compileRules([
    words('w1', ['scam'], { effect: RuleEffect.HIDE, category: ReportCategory.HATE }),
  ]);
  const matches = await evaluateContent(rules, post('hello', 'a SCAM here'), { classifier: null });
  assert.deepEqual(matches, [
    {
      ruleId: 'w1',
      field: 'media[0].alt',
      detail: 'scam',
      effect: RuleEffect.HIDE,
      shadow: false,
      category: ReportCategory.HATE,
    },
  ]);
});

test('a link rule matches links in any field, with the host as detail', async () => {
  const rules = compileRules([links('l1', ['evil.example'], { effect: RuleEffect.REJECT })]);
  const matches = await evaluateContent(rules, post('go https://www.evil.example/x'), {
    classifier: null,
  });
  assert.deepEqual(
    matches.map((m) => [m.ruleId, m.field, m.detail, m.effect]),
    [['l1', 'text', 'www.evil.example', RuleEffect.REJECT]],
  );
});

test('every matching field is reported, in rule order then field order', async () => {
  const rules = compileRules([words('w1', ['bad']), links('l1', ['evil.example'])]);
  const matches = await evaluateContent(rules, post('bad evil.example', 'fine', 'bad'), {
    classifier: null,
  });
  assert.deepEqual(
    matches.map((m) => [m.ruleId, m.field]),
    [
      ['w1', 'text'],
      ['w1', 'media[1].alt'],
      ['l1', 'text'],
    ],
  );
});

test('disabled rules and rules of other scopes do not match', async () => {
  const rules = compileRules([
    words('off', ['bad'], { enabled: false }),
    words('profile-only', ['bad'], { scopes: [RuleScope.PROFILE] }),
    words('on', ['bad'], { scopes: [RuleScope.POST] }),
  ]);
  const matches = await evaluateContent(rules, post('bad'), { classifier: null });
  assert.deepEqual(
    matches.map((m) => m.ruleId),
    ['on'],
  );
  const profile = await evaluateContent(
    rules,
    { scope: RuleScope.PROFILE, fields: [{ field: 'bio', text: 'bad' }] },
    { classifier: null },
  );
  assert.deepEqual(
    profile.map((m) => m.ruleId),
    ['profile-only'],
  );
});

test('rate rules and rules without a condition are not content rules', () => {
  const compiled = compileRules([
    rule({
      ruleId: 'r1',
      scopes: [],
      condition: {
        case: 'rate',
        value: {
          maxEvents: 5,
          window: durationFromMs(60_000),
          event: RateRuleEvent.POST_CREATED,
        },
      },
    }),
    rule({ ruleId: 'none' }),
    words('w1', ['x']),
  ]);
  assert.deepEqual(
    compiled.map((r) => r.id),
    ['w1'],
  );
});

test('in a help request only link rules keep their effect; others only flag', async () => {
  const { classifier } = await classifierServer(() => 0.99);
  const rules = compileRules([
    words('w-hide', ['bad'], { effect: RuleEffect.HIDE }),
    words('w-sensitive', ['bad'], { effect: RuleEffect.MARK_SENSITIVE }),
    links('l-reject', ['evil.example'], { effect: RuleEffect.REJECT }),
    links('l-hide', ['evil.example'], { effect: RuleEffect.HIDE }),
    classifierRule('c-hide', 'toxicity', 0.5, { effect: RuleEffect.HIDE }),
  ]);
  const help: Content = {
    scope: RuleScope.HELP_REQUEST,
    fields: [{ field: 'text', text: 'bad things at evil.example' }],
  };
  const matches = await evaluateContent(rules, help, { classifier });
  assert.deepEqual(
    matches.map((m) => [m.ruleId, m.effect]),
    [
      ['w-hide', RuleEffect.FLAG],
      ['w-sensitive', RuleEffect.FLAG],
      ['l-reject', RuleEffect.REJECT],
      ['l-hide', RuleEffect.HIDE],
      ['c-hide', RuleEffect.FLAG],
    ],
  );

  const asPost = await evaluateContent(rules, { ...help, scope: RuleScope.POST }, { classifier });
  assert.equal(asPost.find((m) => m.ruleId === 'w-hide')?.effect, RuleEffect.HIDE);
});

test('rejectOnly runs only rejecting word-list and link rules, shadow ones included', async () => {
  const server = await classifierServer(() => 0.99);
  const rules = compileRules([
    words('w-flag', ['bad']),
    words('w-reject', ['bad'], { effect: RuleEffect.REJECT }),
    words('w-shadow', ['bad'], { effect: RuleEffect.REJECT, shadow: true }),
    links('l-hide', ['evil.example'], { effect: RuleEffect.HIDE }),
    links('l-reject', ['evil.example'], { effect: RuleEffect.REJECT }),
    classifierRule('c', 'toxicity', 0.1, { effect: RuleEffect.HIDE }),
  ]);
  const matches = await evaluateContent(rules, post('bad evil.example'), { rejectOnly: true });
  assert.deepEqual(
    matches.map((m) => [m.ruleId, m.effect, m.shadow]),
    [
      ['w-reject', RuleEffect.REJECT, false],
      ['w-shadow', RuleEffect.REJECT, true],
      ['l-reject', RuleEffect.REJECT, false],
    ],
  );
  assert.equal(server.requests.length, 0, 'the classifier is never asked');
});

test('rejectOnly in a help request rejects by link rules only', async () => {
  const rules = compileRules([
    words('w-reject', ['bad'], { effect: RuleEffect.REJECT }),
    links('l-reject', ['evil.example'], { effect: RuleEffect.REJECT }),
  ]);
  const help: Content = {
    scope: RuleScope.HELP_REQUEST,
    fields: [{ field: 'text', text: 'bad evil.example' }],
  };
  const matches = await evaluateContent(rules, help, { rejectOnly: true });
  assert.deepEqual(
    matches.map((m) => m.ruleId),
    ['l-reject'],
  );
});

test('classifier rules ask once per non-empty field, with every label, and match by threshold', async () => {
  const server = await classifierServer((text, label) =>
    label === 'toxicity' && text.includes('awful') ? 0.93 : 0.2,
  );
  const rules = compileRules([
    classifierRule('tox', 'toxicity', 0.9, { effect: RuleEffect.HIDE }),
    classifierRule('tox-low', 'toxicity', 0.1),
    classifierRule('spam', 'spam', 0.5),
    words('w', ['nothing-matches-this']),
  ]);
  const matches = await evaluateContent(rules, post('you are awful', '  ', 'nice'), {
    classifier: server.classifier,
  });
  assert.deepEqual(
    matches.map((m) => [m.ruleId, m.field, m.detail, m.effect]),
    [
      ['tox', 'text', 'toxicity 0.93', RuleEffect.HIDE],
      ['tox-low', 'text', 'toxicity 0.93', RuleEffect.FLAG],
      ['tox-low', 'media[1].alt', 'toxicity 0.20', RuleEffect.FLAG],
    ],
  );
  assert.deepEqual(server.requests, [
    { text: 'you are awful', labels: ['toxicity', 'spam'] },
    { text: 'nice', labels: ['toxicity', 'spam'] },
  ]);
});

test('when the classifier fails, its rules do not match and the others still do', async () => {
  const server = await classifierServer(() => 1, 500);
  const rules = compileRules([classifierRule('tox', 'toxicity', 0.5), words('w', ['bad'])]);
  const matches = await evaluateContent(rules, post('bad'), { classifier: server.classifier });
  assert.deepEqual(
    matches.map((m) => m.ruleId),
    ['w'],
  );
  assert.equal(server.requests.length, 1);
});

test('without a configured classifier, classifier rules do not match', async () => {
  const rules = compileRules([classifierRule('tox', 'toxicity', 0), words('w', ['bad'])]);
  const matches = await evaluateContent(rules, post('bad'), { classifier: null });
  assert.deepEqual(
    matches.map((m) => m.ruleId),
    ['w'],
  );
});

test('no classifier call is made when no classifier rule applies', async () => {
  const server = await classifierServer(() => 1);
  const rules = compileRules([
    classifierRule('tox', 'toxicity', 0, { scopes: [RuleScope.PROFILE] }),
    classifierRule('off', 'toxicity', 0, { enabled: false }),
  ]);
  assert.deepEqual(
    await evaluateContent(rules, post('text'), { classifier: server.classifier }),
    [],
  );
  assert.equal(server.requests.length, 0);
});

test('no rules or no text yields no matches', async () => {
  assert.deepEqual(await evaluateContent([], post('bad'), { classifier: null }), []);
  const rules = compileRules([words('w', ['bad'])]);
  assert.deepEqual(await evaluateContent(rules, post('', ' \n '), { classifier: null }), []);
});
