import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { createErrorMappingInterceptor } from './error-mapping.js';
import { createRequestLogInterceptor } from './request-log.js';
import { requestLogger } from '@kith/context';
import type { Interceptor } from '@connectrpc/connect';
import { REDACTED, createRootLogger } from '@kith/logging';
import { EchoService, captureLogger, startEchoServer } from './test-service.js';
import type { EchoServer } from './test-service.js';

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/kith.test.v1.EchoService/Echo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('request id and access log', () => {
  const { logger, lines } = captureLogger();
  let server: EchoServer;
  beforeAll(async () => {
    server = await startEchoServer([
      createRequestLogInterceptor({ logger }),
      createErrorMappingInterceptor({ logger }),
    ]);
  });
  afterAll(() => server.stop());
  const accessLines = () => lines.filter((l) => l.msg === 'rpc');

  it('echoes a valid incoming request id and logs one line for the call', async () => {
    lines.length = 0;
    const res = await post(
      server.url,
      { text: 'hello secret body' },
      { 'x-request-id': 'req-12345678', authorization: 'Bearer zzz' },
    );
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-request-id'), 'req-12345678');
    const access = accessLines();
    assert.equal(access.length, 1);
    const line = access[0]!;
    assert.equal(line.rpc, 'kith.test.v1.EchoService/Echo');
    assert.equal(line.code, 'ok');
    assert.equal(line.requestId, 'req-12345678');
    assert.equal(line.client, '127.0.0.1');
    assert.equal(typeof line.durationMs, 'number');
    const everything = JSON.stringify(lines);
    assert.doesNotMatch(everything, /secret body/);
    assert.doesNotMatch(everything, /Bearer/);
  });

  it('replaces a missing or malformed request id with a generated one', async () => {
    const generated = (await post(server.url, { text: 'a' })).headers.get('x-request-id');
    assert.match(generated ?? '', /^[0-9a-f-]{36}$/);
    const injected = (
      await post(server.url, { text: 'a' }, { 'x-request-id': 'bad id with spaces!!' })
    ).headers.get('x-request-id');
    assert.notEqual(injected, 'bad id with spaces!!');
    assert.match(injected ?? '', /^[0-9a-f-]{36}$/);
    assert.notEqual(
      (await post(server.url, { text: 'a' }, { 'x-request-id': 'short' })).headers.get(
        'x-request-id',
      ),
      'short',
    );
  });

  it('logs the error code and keeps the request id on errors', async () => {
    lines.length = 0;
    const res = await post(server.url, { text: 'missing' }, { 'x-request-id': 'req-abcdefgh' });
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('x-request-id'), 'req-abcdefgh');
    const access = accessLines();
    assert.equal(access.length, 1);
    assert.equal(access[0]!.code, 'not_found');
  });

  it('maps an unexpected error to Internal without detail, logged with its stack', async () => {
    lines.length = 0;
    const client = createClient(EchoService, createGrpcTransport({ baseUrl: server.url }));
    const err = await client.echo({ text: 'boom' }).then(
      () => assert.fail('expected an error'),
      (e: unknown) => ConnectError.from(e),
    );
    assert.equal(err.code, Code.Internal);
    assert.equal(err.rawMessage, 'internal error');
    assert.deepEqual(err.details, []);
    const logged = lines.find((l) => l.msg === 'unexpected error');
    assert.ok(logged, 'unexpected error logged');
    assert.equal(logged.requestId, err.metadata.get('x-request-id'));
    assert.match((logged.err as { stack: string }).stack, /secret detail/);
    assert.equal(accessLines().at(-1)?.code, 'internal');
  });

  it('keeps a domain error code, message and details', async () => {
    const client = createClient(EchoService, createGrpcTransport({ baseUrl: server.url }));
    await assert.rejects(client.echo({ text: 'missing' }), (e: ConnectError) => {
      assert.equal(e.code, Code.NotFound);
      assert.equal(e.rawMessage, 'post not found');
      return true;
    });
    const res = await post(server.url, { text: 'invalid' });
    const body = (await res.json()) as { code: string; details: { type: string }[] };
    assert.equal(body.code, 'invalid_argument');
    assert.equal(body.details[0]?.type, 'buf.validate.Violations');
  });
});

describe('the request logger on a redacting root logger', () => {
  const lines: Record<string, unknown>[] = [];
  const logger = createRootLogger({
    level: 'info',
    destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
  });
  // Stands in for a handler that logs through the request's logger.
  const logsThroughRequestLogger: Interceptor = (next) => (req) => {
    requestLogger(req.contextValues)?.info(
      { token: 'tok-secret', user: { email: 'a@b.c' } },
      'inner',
    );
    return next(req);
  };
  let server: EchoServer;
  beforeAll(async () => {
    server = await startEchoServer([
      createRequestLogInterceptor({ logger }),
      createErrorMappingInterceptor({ logger }),
      logsThroughRequestLogger,
    ]);
  });
  afterAll(() => server.stop());

  it('binds the request id and rpc, keeps redaction, and writes the access line whole', async () => {
    lines.length = 0;
    const res = await post(server.url, { text: 'a' }, { 'x-request-id': 'req-redact-1' });
    assert.equal(res.status, 200);
    const inner = lines.find((l) => l.msg === 'inner');
    assert.ok(inner, 'the inner line is written');
    assert.equal(inner.requestId, 'req-redact-1');
    assert.equal(inner.rpc, 'kith.test.v1.EchoService/Echo');
    assert.equal(inner.token, REDACTED);
    assert.deepEqual(inner.user, { email: REDACTED });
    assert.doesNotMatch(JSON.stringify(lines), /tok-secret|a@b\.c/);
    const access = lines.filter((l) => l.msg === 'rpc');
    assert.equal(access.length, 1);
    assert.equal(access[0]!.requestId, 'req-redact-1');
    assert.equal(access[0]!.code, 'ok');
    assert.equal(access[0]!.client, '127.0.0.1');
  });
});
