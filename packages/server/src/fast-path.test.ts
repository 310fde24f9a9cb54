import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { base64Encode } from '@bufbuild/protobuf/wire';
import { createRateLimiter } from '@kith/cache';
import { defaultInterceptorChain } from '@kith/interceptors';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import {
  MAX_BODY,
  SVC,
  asJson,
  asProto,
  binary,
  decoded,
  json,
  send,
} from './fast-path-compare.js';
import type { Answer, Sent } from './fast-path-compare.js';
import { markingInterceptor, registerCompareService, tenantKey } from './fast-path-test-service.js';
import { createKithServer } from './server.js';
import type { KithServer } from './server.js';

// Every case goes to two servers built alike, one on connect-node's stock handler and one on the
// fast path, and the answers must be identical: status, every header (bar the Date clock and the
// reset seconds of RateLimit, also a clock reading) in order, and the body's bytes.

const logger = pino({ level: 'silent' });

describe('fast path answers exactly as the stock connect-node handler', () => {
  const servers: KithServer[] = [];
  const registries = { stock: new Registry(), fast: new Registry() };
  let stockUrl: string;
  let fastUrl: string;

  function build(fastPath: boolean, registry: Registry): KithServer {
    const server = createKithServer({
      logger,
      port: 0,
      fastPath,
      metricsRegistry: registry,
      maxBodyBytes: MAX_BODY,
      routes: registerCompareService,
      contextValues: (req, values) => {
        const tenant = req.headers['x-tenant'];
        if (typeof tenant === 'string') values.set(tenantKey, tenant);
      },
      interceptors: [
        ...defaultInterceptorChain({
          logger,
          rateLimit: {
            perClient: createRateLimiter({
              store: 'memory',
              keyPrefix: `compare-${fastPath}`,
              points: 1_000_000,
              durationSec: 3600,
            }),
          },
          authentication: {
            authenticators: [
              async (headers) => {
                const auth = headers.get('authorization');
                if (auth === null) return undefined;
                return {
                  userId: auth.replace(/^Bearer /, ''),
                  role: 'user',
                  via: 'access_token',
                  scopes: ['*'],
                } as never;
              },
            ],
            publicMethods: new Set(
              ['Call', 'Read', 'Mirror', 'Missing'].map((m) => `kith.test.v1.CompareService/${m}`),
            ),
          },
        }),
        markingInterceptor,
      ],
    });
    servers.push(server);
    return server;
  }

  beforeAll(async () => {
    stockUrl = (await build(false, registries.stock).start()).url;
    fastUrl = (await build(true, registries.fast).start()).url;
  });
  afterAll(() => Promise.all(servers.map((s) => s.stop())));

  async function served(): Promise<number> {
    const metric = await registries.fast.getSingleMetric('kith_rpc_fast_path_total')?.get();
    return metric?.values[0]?.value ?? 0;
  }

  /** Sends `req` to both servers; asserts equal answers and whether the fast path took it. */
  async function compare(req: Sent, fast = true): Promise<Answer> {
    const before = await served();
    const stock = await send(stockUrl, req);
    const quick = await send(fastUrl, req);
    assert.deepEqual(quick, stock);
    assert.equal(
      await served(),
      before + (fast ? 1 : 0),
      fast ? 'fast path not taken' : 'fast path taken',
    );
    return stock;
  }

  it('answers a JSON call, with the chain’s and the interceptors’ headers and trailers', async () => {
    const res = decoded(
      await compare({ path: `${SVC}/Call`, headers: asJson, body: json('hello') }),
    );
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { text: 'hello' });
    assert.deepEqual(res.header('x-request-id'), ['compare-0001']);
    assert.deepEqual(res.header('x-intercepted'), ['POST']);
    assert.deepEqual(res.header('trailer-x-interceptor-trailer'), ['yes']);
    assert.equal(res.header('ratelimit').length, 1);
  });

  it('answers a binary call', async () => {
    const res = decoded(
      await compare({ path: `${SVC}/Call`, headers: asProto, body: binary('hi') }),
    );
    assert.equal(res.status, 200);
    assert.deepEqual(res.header('content-type'), ['application/proto']);
  });

  it('reads an empty request as the empty message: `{}` in JSON, no bytes in binary', async () => {
    for (const [headers, body] of [
      [asJson, '{}'],
      [asJson, ' {}'],
      [asProto, new Uint8Array()],
    ] as const) {
      const res = decoded(await compare({ path: `${SVC}/Call`, headers, body }));
      // The test service's request needs its text: the empty message fails validation alike.
      assert.equal(res.status, 400);
      assert.match(JSON.stringify(res.body), /text/);
    }
  });

  it('accepts a JSON content type with a charset, and handler headers and repeated trailers', async () => {
    const res = decoded(
      await compare({
        path: `${SVC}/Call`,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: json('headers'),
      }),
    );
    assert.deepEqual(res.header('x-handler-header'), ['h']);
    assert.deepEqual(res.header('trailer-x-handler-trailer'), ['t1, t2']);
  });

  it('answers every error code with its metadata and details, in JSON and binary calls', async () => {
    for (let code = 1; code <= 16; code++) {
      for (const [headers, body] of [
        [asJson, json(`code:${code}`)],
        [asProto, binary(`code:${code}`)],
      ] as const) {
        const res = decoded(await compare({ path: `${SVC}/Call`, headers, body }));
        assert.notEqual(res.status, 200);
        const error = res.body as { code: string; details: unknown[] };
        assert.equal(typeof error.code, 'string');
        assert.equal(error.details.length, 1);
        assert.deepEqual(res.header('x-error-meta'), ['meta']);
      }
    }
  });

  it('hides an unexpected error behind internal', async () => {
    const res = decoded(
      await compare({ path: `${SVC}/Call`, headers: asJson, body: json('boom') }),
    );
    assert.equal(res.status, 500);
    assert.equal((res.body as { code: string }).code, 'internal');
  });

  it('answers validation violations', async () => {
    for (const text of ['', 'y'.repeat(41)]) {
      const res = decoded(
        await compare({ path: `${SVC}/Call`, headers: asJson, body: json(text) }),
      );
      assert.equal(res.status, 400);
      assert.equal(
        (res.body as { details: { type: string }[] }).details[0]!.type,
        'buf.validate.Violations',
      );
    }
  });

  it('answers Unimplemented for a method the service left out', async () => {
    const res = decoded(
      await compare({ path: `${SVC}/Missing`, headers: asJson, body: json('x') }),
    );
    assert.equal((res.body as { code: string }).code, 'unimplemented');
  });

  it('times out on connect-timeout-ms and refuses a malformed one', async () => {
    const late = decoded(
      await compare({
        path: `${SVC}/Call`,
        headers: { ...asJson, 'connect-timeout-ms': '30' },
        body: json('slow:2000'),
      }),
    );
    assert.equal((late.body as { code: string }).code, 'deadline_exceeded');
    const inTime = decoded(
      await compare({
        path: `${SVC}/Call`,
        headers: { ...asJson, 'connect-timeout-ms': '5000' },
        body: json('slow:5'),
      }),
    );
    assert.equal(inTime.status, 200);
    const bad = decoded(
      await compare({
        path: `${SVC}/Call`,
        headers: { ...asJson, 'connect-timeout-ms': 'soon' },
        body: json('x'),
      }),
    );
    assert.equal((bad.body as { code: string }).code, 'invalid_argument');
  });

  it('refuses oversize bodies, with and without Content-Length', async () => {
    const big = json('z'.repeat(MAX_BODY));
    const res = decoded(await compare({ path: `${SVC}/Call`, headers: asJson, body: big }));
    assert.equal((res.body as { code: string }).code, 'resource_exhausted');
    const chunked = decoded(
      await compare({ path: `${SVC}/Call`, headers: asJson, body: big, chunked: true }),
    );
    assert.equal((chunked.body as { code: string }).code, 'resource_exhausted');
    // Binary bodies, small and far over the limit.
    for (const size of [MAX_BODY, 64 * MAX_BODY]) {
      await compare({
        path: `${SVC}/Call`,
        headers: asProto,
        body: binary('z'.repeat(size)),
        chunked: true,
      });
    }
  });

  it('refuses JSON nested too deep, bad JSON and bad binary', async () => {
    const deep = `{"text":"x","nested":${'['.repeat(100)}${']'.repeat(100)}}`;
    for (const [headers, body] of [
      [asJson, deep],
      [asJson, '{"text":'],
      [asJson, '{"text":5}'],
      [asProto, Buffer.from([0x0a, 0x05, 0x61])],
    ] as const) {
      const res = decoded(await compare({ path: `${SVC}/Call`, headers, body }));
      assert.notEqual(res.status, 200);
    }
  });

  it('reads gzip and brotli requests and compresses large responses as the client accepts', async () => {
    const gz = zlib.gzipSync(json('big'));
    const res = decoded(
      await compare({
        path: `${SVC}/Call`,
        headers: { ...asJson, 'content-encoding': 'gzip', 'accept-encoding': 'gzip' },
        body: gz,
      }),
    );
    assert.deepEqual(res.header('content-encoding'), ['gzip']);
    await compare({
      path: `${SVC}/Call`,
      headers: { ...asProto, 'content-encoding': 'br', 'accept-encoding': 'br, gzip' },
      body: zlib.brotliCompressSync(binary('big')),
    });
    // Small answers stay plain; unknown encodings are refused; corrupt gzip is refused.
    await compare({
      path: `${SVC}/Call`,
      headers: { ...asJson, 'accept-encoding': 'gzip' },
      body: json('small'),
    });
    const unknown = decoded(
      await compare({
        path: `${SVC}/Call`,
        headers: { ...asJson, 'content-encoding': 'deflate' },
        body: json('x'),
      }),
    );
    assert.equal((unknown.body as { code: string }).code, 'unimplemented');
    await compare({
      path: `${SVC}/Call`,
      headers: { ...asJson, 'content-encoding': 'gzip' },
      body: 'not gzip at all',
    });
  });

  it('serves Connect GET with JSON, base64 binary and compressed messages', async () => {
    const read = `${SVC}/Read`;
    const plain = decoded(
      await compare({
        method: 'GET',
        path: `${read}?connect=v1&encoding=json&message=${encodeURIComponent(json('context'))}`,
        headers: { 'x-tenant': 'acme' },
      }),
    );
    assert.deepEqual(plain.body, { text: 'acme|marked:Read|anonymous|GET' });
    await compare({
      method: 'GET',
      path: `${read}?encoding=proto&base64=1&message=${base64Encode(binary('hey'), 'url')}`,
    });
    await compare({
      method: 'GET',
      path: `${read}?encoding=json&base64=1&compression=gzip&message=${base64Encode(zlib.gzipSync(json('big')), 'url')}`,
      headers: { 'accept-encoding': 'gzip' },
    });
  });

  it('leaves to the stock handler what it does not serve', async () => {
    // GET on a method with side effects, GET without an encoding, no content type, a streaming
    // content type, an unknown path.
    await compare({ method: 'GET', path: `${SVC}/Call?encoding=json&message=%7B%7D` }, false);
    await compare({ method: 'GET', path: `${SVC}/Read?message=%7B%7D` }, false);
    await compare({ path: `${SVC}/Call`, body: json('x') }, false);
    await compare(
      { path: `${SVC}/Call`, headers: { 'content-type': 'application/connect+json' }, body: '' },
      false,
    );
    await compare(
      { path: '/kith.test.v1.CompareService/Nope', headers: asJson, body: '{}' },
      false,
    );
  });

  it('keeps unknown fields: ignored in JSON, carried through in binary', async () => {
    await compare({
      path: `${SVC}/Mirror`,
      headers: asJson,
      body: '{"text":"m","notAField":1}',
    });
    const withUnknown = Buffer.concat([Buffer.from(binary('m')), Buffer.from([0x10, 0x2a])]);
    const res = await compare({ path: `${SVC}/Mirror`, headers: asProto, body: withUnknown });
    assert.ok('body' in res);
    assert.equal(Buffer.from(res.body, 'base64').toString('hex'), withUnknown.toString('hex'));
  });

  it('passes context values from the server, the interceptors and authentication to the handler', async () => {
    const res = decoded(
      await compare({
        path: `${SVC}/Call`,
        headers: { ...asJson, 'x-tenant': 'acme', authorization: 'Bearer user-7' },
        body: json('context'),
      }),
    );
    assert.deepEqual(res.body, { text: 'acme|marked:Call|user-7|POST' });
  });

  it('survives clients that go away mid-body, before and after the body limit', async () => {
    for (const base of [stockUrl, fastUrl]) {
      for (const sent of [10, MAX_BODY + 1000]) {
        await new Promise<void>((resolve) => {
          const out = http.request(new URL(`${SVC}/Call`, base), {
            method: 'POST',
            headers: { ...asJson, 'content-length': String(MAX_BODY * 2) },
            agent: false,
          });
          out.on('error', () => resolve());
          out.on('response', () => resolve());
          out.write(Buffer.alloc(sent, 0x20), () => setTimeout(() => out.destroy(), 20));
          out.on('close', () => resolve());
        });
      }
    }
    const res = decoded(await compare({ path: `${SVC}/Call`, headers: asJson, body: json('ok') }));
    assert.equal(res.status, 200);
  });

  it('is on unless KITH_RPC_FAST_PATH turns it off', async () => {
    const previous = process.env.KITH_RPC_FAST_PATH;
    try {
      for (const [env, taken] of [
        [undefined, true],
        ['1', true],
        ['0', false],
        ['false', false],
        ['off', false],
      ] as const) {
        if (env === undefined) delete process.env.KITH_RPC_FAST_PATH;
        else process.env.KITH_RPC_FAST_PATH = env;
        const registry = new Registry();
        const server = createKithServer({
          logger,
          port: 0,
          metricsRegistry: registry,
          routes: registerCompareService,
        });
        try {
          const { url } = await server.start();
          const res = decoded(
            await send(url, { path: `${SVC}/Call`, headers: asJson, body: json('x') }),
          );
          assert.equal(res.status, 200);
          const counted = registry.getSingleMetric('kith_rpc_fast_path_total') !== undefined;
          assert.equal(counted, taken, `KITH_RPC_FAST_PATH=${String(env)}`);
        } finally {
          await server.stop();
        }
      }
    } finally {
      if (previous === undefined) delete process.env.KITH_RPC_FAST_PATH;
      else process.env.KITH_RPC_FAST_PATH = previous;
    }
  });
});
