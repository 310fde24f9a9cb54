import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { pino } from 'pino';
import { JsonDepthScanner } from './json-depth.js';
import { createKithServer } from './server.js';
import type { KithServer } from './server.js';

const nested = (depth: number, inner = '1') => '['.repeat(depth) + inner + ']'.repeat(depth);
/** A health check request with a deep value under a field the message does not have. */
const deepRequest = (depth: number) => `{"service":"","extra":${nested(depth)}}`;

describe('JSON nesting scanner', () => {
  it('counts brackets outside strings only, across chunk boundaries', () => {
    const scanner = new JsonDepthScanner(3);
    const text = '{"a":"[[[[[[\\"{{{{","b":[[1]]}';
    for (const ch of Buffer.from(text)) assert.equal(scanner.push(Uint8Array.of(ch)), true);
    assert.equal(new JsonDepthScanner(3).push(Buffer.from(nested(4))), false);
    assert.equal(new JsonDepthScanner(4).push(Buffer.from(nested(4))), true);
  });
});

describe('Connect JSON routes', () => {
  let server: KithServer;
  let url: string;

  beforeAll(async () => {
    server = createKithServer({ logger: pino({ level: 'silent' }), port: 0 });
    ({ url } = await server.start());
  });
  afterAll(() => server.stop());

  const post = (body: Buffer | string, headers: Record<string, string> = {}) =>
    fetch(`${url}/grpc.health.v1.Health/Check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });

  it('refuse a body nested 100,000 deep with InvalidArgument before parsing it', async () => {
    const res = await post(deepRequest(100_000));
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), {
      code: 'invalid_argument',
      message: 'JSON nested deeper than 64 levels',
    });
  });

  it('refuse it compressed too', async () => {
    const res = await post(zlib.gzipSync(deepRequest(100_000)), { 'content-encoding': 'gzip' });
    assert.equal(res.status, 400);
    assert.equal(
      ((await res.json()) as { message: string }).message,
      'JSON nested deeper than 64 levels',
    );
  });

  it('refuse a streaming request whose message is nested too deep', async () => {
    const payload = Buffer.from(deepRequest(65));
    const envelope = Buffer.alloc(5);
    envelope.writeUInt32BE(payload.length, 1);
    const res = await fetch(`${url}/grpc.health.v1.Health/Watch`, {
      method: 'POST',
      headers: { 'content-type': 'application/connect+json' },
      body: Buffer.concat([envelope, payload]),
    });
    const body = Buffer.from(await res.arrayBuffer());
    assert.match(body.subarray(5).toString(), /JSON nested deeper than 64 levels/);
    assert.match(body.subarray(5).toString(), /invalid_argument/);
  });

  it('still parse and answer a request at the bound', async () => {
    const res = await post(deepRequest(63));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'SERVING' });
  });
});
