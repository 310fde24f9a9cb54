import assert from 'node:assert/strict';
import http from 'node:http';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { ConnectError } from '@connectrpc/connect';
import { Code, createClient } from '@connectrpc/connect';
import { createGrpcTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import {
  Health,
  HealthCheckResponse_ServingStatus as Status,
} from '@kith/gen/grpc/health/v1/health_pb.js';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createKithServer } from './server.js';
import type { KithServer } from './server.js';
import { SlowService, registerSlowService, sleepMethod } from './test-service.js';

const logger = pino({ level: 'silent' });

function postJson(url: string, body: string, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

describe('one port, HTTP/1.1 and h2c', () => {
  let server: KithServer;
  let url: string;
  const calls = { count: 0 };
  let dependencyUp = true;
  const registry = new Registry();

  beforeAll(async () => {
    server = createKithServer({
      logger,
      port: 0,
      metricsRegistry: registry,
      routes: (router) => registerSlowService(router, calls),
      readiness: [
        {
          name: 'database',
          check: async () => {
            if (!dependencyUp) throw new Error('down');
          },
        },
      ],
      // These tests flip the dependency and probe at once.
      readinessCacheMs: 0,
      corsAllowedOrigins: ['https://app.kith.test'],
      maxBodyBytes: 1024,
      http: {
        'GET /.well-known/jwks.json': (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"keys":[]}');
        },
        'GET /broken': () => {
          throw new Error('a route that fails at once');
        },
        'GET /broken-later': async () => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          throw new Error('a route that fails later');
        },
      },
    });
    ({ url } = await server.start());
  });
  afterAll(() => server.stop());

  it('answers Connect JSON over HTTP/1.1 and gRPC over h2c on the same port', async () => {
    const res = await postJson(`${url}/grpc.health.v1.Health/Check`, '{}');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'SERVING' });

    const grpc = createClient(Health, createGrpcTransport({ baseUrl: url }));
    assert.equal((await grpc.check({})).status, Status.SERVING);
    assert.equal(
      (await grpc.check({ service: 'kith.test.v1.SlowService' })).status,
      Status.SERVING,
    );
    await assert.rejects(
      grpc.check({ service: 'nope.Service' }),
      (e: ConnectError) => e.code === Code.NotFound,
    );

    const web = createClient(Health, createGrpcWebTransport({ baseUrl: url, httpVersion: '1.1' }));
    assert.equal((await web.check({})).status, Status.SERVING);
  });

  it('serves a registered service over both protocols', async () => {
    const before = calls.count;
    const grpc = createClient(SlowService, createGrpcTransport({ baseUrl: url }));
    assert.equal((await grpc.sleep({ service: '1' })).status, Status.SERVING);
    const res = await postJson(`${url}/kith.test.v1.SlowService/Sleep`, '{"service":"1"}');
    assert.equal(res.status, 200);
    assert.equal(calls.count, before + 2);
  });

  it('unknown path is 404, unknown RPC method is Unimplemented', async () => {
    assert.equal((await fetch(`${url}/nothing/here`)).status, 404);
    const res = await postJson(`${url}/grpc.health.v1.Health/Nope`, '{}');
    assert.equal(res.status, 404);
    // The descriptor of a method the server does not implement, on a service it does serve.
    const missing = { ...sleepMethod, name: 'Missing' };
    const transport = createGrpcTransport({ baseUrl: url });
    await assert.rejects(
      transport.unary(missing, undefined, undefined, undefined, {}),
      (e: ConnectError) => e.code === Code.Unimplemented,
    );
  });

  it('refuses an oversize body with ResourceExhausted before the handler runs', async () => {
    const before = calls.count;
    const res = await postJson(
      `${url}/kith.test.v1.SlowService/Sleep`,
      JSON.stringify({ service: 'x'.repeat(4096) }),
    );
    const body = (await res.json()) as { code: string };
    assert.equal(body.code, 'resource_exhausted');
    assert.equal(calls.count, before);
  });

  it('serves probes, metrics and extra routes', async () => {
    const healthz = await fetch(`${url}/healthz`);
    assert.equal(healthz.status, 200);
    const readyz = await fetch(`${url}/readyz`);
    assert.equal(readyz.status, 200);
    assert.deepEqual(await readyz.json(), { status: 'ready' });
    const jwks = await fetch(`${url}/.well-known/jwks.json`);
    assert.deepEqual(await jwks.json(), { keys: [] });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(
      metrics,
      /kith_rpc_requests_total\{service="grpc.health.v1.Health",method="Check",code="ok"\} \d+/,
    );
    assert.match(
      metrics,
      /kith_rpc_duration_seconds_bucket\{le="[^"]+",service="grpc.health.v1.Health",method="Check",code="not_found"\}/,
    );
    assert.match(metrics, /process_cpu_user_seconds_total/);
  });

  it('answers 500 for an extra route that fails, at once or later, and goes on serving', async () => {
    for (const path of ['/broken', '/broken-later', '/broken?x=1']) {
      const res = await fetch(`${url}${path}`);
      assert.equal(res.status, 500, path);
      await res.arrayBuffer();
    }
    const healthz = await fetch(`${url}/healthz?probe=1`);
    assert.equal(healthz.status, 200);
  });

  it('reports not ready (503, NOT_SERVING) while a readiness check fails', async () => {
    dependencyUp = false;
    try {
      const readyz = await fetch(`${url}/readyz`);
      assert.equal(readyz.status, 503);
      assert.deepEqual(await readyz.json(), { status: 'not ready', failed: ['database'] });
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      const grpc = createClient(Health, createGrpcTransport({ baseUrl: url }));
      assert.equal((await grpc.check({})).status, Status.NOT_SERVING);
    } finally {
      dependencyUp = true;
    }
    server.setReady(false);
    assert.equal((await fetch(`${url}/readyz`)).status, 503);
    server.setReady(true);
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
  });

  it('allows only listed CORS origins', async () => {
    const preflight = (origin: string) =>
      fetch(`${url}/grpc.health.v1.Health/Check`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
    const ok = await preflight('https://app.kith.test');
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.kith.test');
    assert.match(ok.headers.get('access-control-allow-headers') ?? '', /Connect-Protocol-Version/i);
    assert.match(ok.headers.get('access-control-allow-methods') ?? '', /POST/);
    const denied = await preflight('https://evil.test');
    assert.equal(denied.headers.get('access-control-allow-origin'), null);

    const actual = await postJson(`${url}/grpc.health.v1.Health/Check`, '{}', {
      origin: 'https://app.kith.test',
    });
    assert.equal(actual.headers.get('access-control-allow-origin'), 'https://app.kith.test');
    assert.match(actual.headers.get('access-control-expose-headers') ?? '', /Grpc-Status/i);
    const other = await postJson(`${url}/grpc.health.v1.Health/Check`, '{}', {
      origin: 'https://evil.test',
    });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });
});

describe('graceful stop', () => {
  it('reports 503 while draining, lets the in-flight call finish, then closes within the grace', async () => {
    const calls = { count: 0 };
    const drained: string[] = [];
    const server = createKithServer({
      logger,
      routes: (router) => registerSlowService(router, calls),
      drainDelayMs: 150,
      shutdownGraceMs: 3000,
      onDrain: async () => {
        drained.push(`drain after ${calls.count} calls`);
      },
    });
    const { url } = await server.start();
    const h2 = createClient(SlowService, createGrpcTransport({ baseUrl: url }));
    const slowH2 = h2.sleep({ service: '600' });
    const slowH1 = postJson(`${url}/kith.test.v1.SlowService/Sleep`, '{"service":"600"}');
    await new Promise((r) => setTimeout(r, 100));

    const started = Date.now();
    const stopped = server.stop();
    const readyz = await fetch(`${url}/readyz`);
    assert.equal(readyz.status, 503);
    const grpc = createClient(Health, createGrpcTransport({ baseUrl: url }));
    assert.equal((await grpc.check({})).status, Status.NOT_SERVING);

    assert.equal((await slowH2).status, Status.SERVING);
    assert.equal((await slowH1).status, 200);
    await stopped;
    assert.ok(Date.now() - started < 3000, 'stop resolved within the grace period');
    assert.deepEqual(drained, ['drain after 2 calls']);
    await assert.rejects(fetch(`${url}/healthz`));
  });

  it('force-closes calls that outlive the grace period', async () => {
    const server = createKithServer({
      logger,
      routes: (router) => registerSlowService(router, { count: 0 }),
      shutdownGraceMs: 300,
    });
    const { url } = await server.start();
    const slow = postJson(`${url}/kith.test.v1.SlowService/Sleep`, '{"service":"5000"}').then(
      (r) => r.status,
      () => 'failed',
    );
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await server.stop();
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 250 && elapsed < 1500, `stopped after ${elapsed} ms`);
    assert.notEqual(await slow, 200);
  });

  it('closes idle keep-alive connections on stop', async () => {
    const server = createKithServer({ logger, shutdownGraceMs: 2000 });
    const { port } = await server.start();
    const agent = new http.Agent({ keepAlive: true });
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/healthz', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
        .on('error', reject);
    });
    assert.equal(status, 200);
    const started = Date.now();
    await server.stop();
    assert.ok(Date.now() - started < 1000, 'idle keep-alive socket did not hold stop()');
    agent.destroy();
  });
});

describe('keep-alive', () => {
  // Node's own client (and many others) drops an idle pooled socket after 5 s. A server that
  // closes at the same 5 s races it: a request written just as the server's FIN arrives fails
  // with ECONNRESET. The server keeps idle connections longer than such clients do.
  it('keeps an idle HTTP/1.1 connection open past the 5 s that clients pool it for', async () => {
    const server = createKithServer({ logger });
    const { port } = await server.start();
    const agent = new http.Agent({ keepAlive: true, timeout: 60_000 });
    const get = () =>
      new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/healthz', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
        });
        req.on('error', reject);
      });
    try {
      assert.deepEqual(await get(), { status: 200, reused: false });
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      assert.deepEqual(await get(), { status: 200, reused: true });
    } finally {
      agent.destroy();
      await server.stop();
    }
  }, 15_000);
});
