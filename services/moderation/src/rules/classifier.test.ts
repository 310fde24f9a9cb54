import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { afterEach, test } from 'vitest';
import { classifierMatch, classifierMetrics, createClassifier } from './classifier.js';
import type { ClassifierSkipReason } from './classifier.js';

type Handler = (body: string, req: IncomingMessage, res: ServerResponse) => void;

interface TestServer {
  url: string;
  requests: { body: string; contentType: string | undefined }[];
  handler: Handler;
}

const servers: ReturnType<typeof createServer>[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A real classifier stand-in on 127.0.0.1; its handler can be swapped during a test. */
async function startServer(handler: Handler): Promise<TestServer> {
  const state: TestServer = { url: '', requests: [], handler };
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      state.requests.push({ body, contentType: req.headers['content-type'] });
      state.handler(body, req, res);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/classify`;
  return state;
}

const json =
  (status: number, value: unknown): Handler =>
  (_body, _req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };
const scores = (value: Record<string, number>) => json(200, { scores: value });
const slow =
  (delayMs: number, then: Handler): Handler =>
  (body, req, res) => {
    const timer = setTimeout(() => then(body, req, res), delayMs);
    res.on('close', () => clearTimeout(timer));
  };

function recordSkips() {
  const skips: ClassifierSkipReason[] = [];
  return { skips, onSkip: (reason: ClassifierSkipReason) => void skips.push(reason) };
}

test('a call posts the text and labels as JSON and returns the scores', async () => {
  const server = await startServer(scores({ toxicity: 0.93, spam: 0.1 }));
  const { skips, onSkip } = recordSkips();
  const classifier = createClassifier({ url: server.url, onSkip });

  const result = await classifier.classify('you are awful', ['toxicity', 'spam']);

  assert.deepEqual(result, { skipped: false, scores: { toxicity: 0.93, spam: 0.1 } });
  assert.equal(server.requests.length, 1);
  assert.deepEqual(JSON.parse(server.requests[0]?.body ?? ''), {
    text: 'you are awful',
    labels: ['toxicity', 'spam'],
  });
  assert.equal(server.requests[0]?.contentType, 'application/json');
  assert.deepEqual(skips, []);
});

test('a call slower than the timeout is skipped as a timeout, without waiting for it', async () => {
  const server = await startServer(slow(5_000, scores({ toxicity: 1 })));
  const { skips, onSkip } = recordSkips();
  const classifier = createClassifier({ url: server.url, timeoutMs: 100, onSkip });

  const started = Date.now();
  const result = await classifier.classify('text', ['toxicity']);

  assert.deepEqual(result, { skipped: true, reason: 'timeout' });
  assert.ok(Date.now() - started < 2_000, 'the caller was not held until the server answered');
  assert.deepEqual(skips, ['timeout']);
});

test('an error status, a malformed answer or an unreachable server is a skip, never a throw', async () => {
  const server = await startServer(json(500, { error: 'boom' }));
  const { skips, onSkip } = recordSkips();
  const classifier = createClassifier({ url: server.url, onSkip, failuresToOpen: 100 });

  assert.deepEqual(await classifier.classify('t', ['x']), { skipped: true, reason: 'http_error' });
  server.handler = json(200, { scores: { x: 'high' } });
  assert.deepEqual(await classifier.classify('t', ['x']), {
    skipped: true,
    reason: 'bad_response',
  });
  server.handler = json(200, { scores: { x: 1.5 } });
  assert.deepEqual(await classifier.classify('t', ['x']), {
    skipped: true,
    reason: 'bad_response',
  });
  server.handler = (_body, _req, res) => res.end('not json');
  assert.deepEqual(await classifier.classify('t', ['x']), {
    skipped: true,
    reason: 'bad_response',
  });

  const closed = await startServer(scores({}));
  const unreachable = closed.url;
  const only = servers.pop();
  assert.ok(only);
  await new Promise((resolve) => only.close(resolve));
  const down = createClassifier({ url: unreachable, onSkip });
  assert.deepEqual(await down.classify('t', ['x']), { skipped: true, reason: 'network_error' });

  assert.deepEqual(skips, [
    'http_error',
    'bad_response',
    'bad_response',
    'bad_response',
    'network_error',
  ]);
});

test('N consecutive failures open the breaker; while open no request reaches the server', async () => {
  const server = await startServer(json(500, {}));
  const { skips, onSkip } = recordSkips();
  const classifier = createClassifier({ url: server.url, failuresToOpen: 3, onSkip });

  for (let i = 0; i < 3; i += 1) {
    assert.deepEqual(await classifier.classify('t', ['x']), {
      skipped: true,
      reason: 'http_error',
    });
  }
  server.handler = scores({ x: 0.5 });
  for (let i = 0; i < 5; i += 1) {
    assert.deepEqual(await classifier.classify('t', ['x']), {
      skipped: true,
      reason: 'breaker_open',
    });
  }

  assert.equal(server.requests.length, 3);
  assert.deepEqual(skips, [...Array(3).fill('http_error'), ...Array(5).fill('breaker_open')]);
});

test('timeouts count as failures toward opening the breaker', async () => {
  const server = await startServer(slow(5_000, scores({ x: 1 })));
  const classifier = createClassifier({ url: server.url, timeoutMs: 50, failuresToOpen: 2 });

  assert.deepEqual(await classifier.classify('t', ['x']), { skipped: true, reason: 'timeout' });
  assert.deepEqual(await classifier.classify('t', ['x']), { skipped: true, reason: 'timeout' });
  assert.deepEqual(await classifier.classify('t', ['x']), {
    skipped: true,
    reason: 'breaker_open',
  });
  assert.equal(server.requests.length, 2);
});

test('a success resets the count of consecutive failures', async () => {
  const server = await startServer(json(503, {}));
  const classifier = createClassifier({ url: server.url, failuresToOpen: 3 });

  await classifier.classify('t', ['x']);
  await classifier.classify('t', ['x']);
  server.handler = scores({ x: 0.2 });
  assert.equal((await classifier.classify('t', ['x'])).skipped, false);
  server.handler = json(503, {});
  await classifier.classify('t', ['x']);
  await classifier.classify('t', ['x']);
  server.handler = scores({ x: 0.2 });

  assert.equal((await classifier.classify('t', ['x'])).skipped, false, 'still closed');
  assert.equal(server.requests.length, 6);
});

test('after the cooldown one trial call goes through and, if it succeeds, closes the breaker', async () => {
  const server = await startServer(json(500, {}));
  const classifier = createClassifier({ url: server.url, failuresToOpen: 2, cooldownMs: 150 });
  await classifier.classify('t', ['x']);
  await classifier.classify('t', ['x']);
  assert.deepEqual(await classifier.classify('t', ['x']), {
    skipped: true,
    reason: 'breaker_open',
  });
  assert.equal(server.requests.length, 2);

  server.handler = scores({ x: 0.7 });
  await sleep(200);

  assert.deepEqual(await classifier.classify('t', ['x']), { skipped: false, scores: { x: 0.7 } });
  assert.deepEqual(await classifier.classify('u', ['x']), { skipped: false, scores: { x: 0.7 } });
  assert.equal(server.requests.length, 4);
});

test('a failed trial call reopens the breaker for another cooldown', async () => {
  const server = await startServer(json(500, {}));
  const classifier = createClassifier({ url: server.url, failuresToOpen: 2, cooldownMs: 150 });
  await classifier.classify('t', ['x']);
  await classifier.classify('t', ['x']);

  await sleep(200);
  assert.deepEqual(await classifier.classify('t', ['x']), { skipped: true, reason: 'http_error' });
  assert.equal(server.requests.length, 3, 'the trial reached the server');
  server.handler = scores({ x: 0.7 });
  assert.deepEqual(await classifier.classify('t', ['x']), {
    skipped: true,
    reason: 'breaker_open',
  });
  assert.equal(server.requests.length, 3);

  await sleep(200);
  assert.equal((await classifier.classify('t', ['x'])).skipped, false);
});

test('skips are counted on the registry by reason', async () => {
  const server = await startServer(json(500, {}));
  const registry = new Registry();
  const metrics = classifierMetrics(registry);
  assert.equal(classifierMetrics(registry).skips, metrics.skips, 'registered once');
  const classifier = createClassifier({
    url: server.url,
    failuresToOpen: 1,
    onSkip: (reason) => metrics.skips.inc({ reason }),
  });

  await classifier.classify('t', ['x']);
  await classifier.classify('t', ['x']);
  await classifier.classify('t', ['x']);

  const text = await registry.metrics();
  assert.match(text, /kith_moderation_classifier_skips_total\{reason="http_error"\} 1/);
  assert.match(text, /kith_moderation_classifier_skips_total\{reason="breaker_open"\} 2/);
});

test('a throwing onSkip does not make classify throw', async () => {
  const server = await startServer(json(500, {}));
  const classifier = createClassifier({
    url: server.url,
    onSkip: () => {
      throw new Error('metrics down');
    },
  });
  assert.deepEqual(await classifier.classify('t', ['x']), { skipped: true, reason: 'http_error' });
});

test('a classifier rule matches at or above its threshold, with the score as detail', () => {
  const rule = { label: 'toxicity', threshold: 0.9 };
  assert.equal(classifierMatch(rule, { toxicity: 0.934 }), 'toxicity 0.93');
  assert.equal(classifierMatch(rule, { toxicity: 0.9 }), 'toxicity 0.90');
  assert.equal(classifierMatch(rule, { toxicity: 0.89 }), undefined);
  assert.equal(classifierMatch(rule, { spam: 1 }), undefined, 'a missing label does not match');
  assert.equal(classifierMatch({ label: 'x', threshold: 0 }, { x: 0 }), 'x 0.00');
});

test('a threshold read back as float32 still matches a score equal to it', () => {
  const float32 = Math.fround(0.9);
  assert.notEqual(float32, 0.9);
  assert.equal(
    classifierMatch({ label: 'toxicity', threshold: float32 }, { toxicity: 0.9 }),
    'toxicity 0.90',
  );
  assert.equal(
    classifierMatch({ label: 'toxicity', threshold: 0.3 }, { toxicity: Math.fround(0.3) }),
    'toxicity 0.30',
  );
});

test('a label named like an object property is not read from the prototype', () => {
  assert.equal(classifierMatch({ label: 'constructor', threshold: 0 }, {}), undefined);
  assert.equal(classifierMatch({ label: 'toString', threshold: 0 }, { x: 1 }), undefined);
});
