import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { createRateLimiter } from '@kith/cache';
import { RetryInfoSchema } from '@kith/gen/google/rpc/error_details_pb.js';
import { createErrorMappingInterceptor } from './error-mapping.js';
import { createRateLimitInterceptor, perClientPolicy, perRoutePolicy } from './rate-limit.js';
import { EchoService, captureLogger, startEchoServer } from './test-service.js';
import type { EchoServer } from './test-service.js';

const call = (url: string, method: string) =>
  fetch(`${url}/kith.test.v1.EchoService/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"text":"hi"}',
  });

describe('rate limiting', () => {
  let server: EchoServer;
  beforeAll(async () => {
    const { logger } = captureLogger();
    server = await startEchoServer([
      createErrorMappingInterceptor({ logger }),
      createRateLimitInterceptor({
        policies: [
          perClientPolicy(
            createRateLimiter({ store: 'memory', keyPrefix: 'ip', points: 6, durationSec: 60 }),
          ),
          perRoutePolicy(
            'echo',
            createRateLimiter({ store: 'memory', keyPrefix: 'echo', points: 5, durationSec: 30 }),
            ['kith.test.v1.EchoService/Echo'],
            2,
          ),
        ],
      }),
    ]);
  });
  afterAll(() => server.stop());

  it('reports the limits on allowed calls, then refuses with ResourceExhausted and RetryInfo', async () => {
    const first = await call(server.url, 'Echo');
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('ratelimit-policy'), '"ip";q=6;w=60, "echo";q=5;w=30');
    assert.equal(first.headers.get('ratelimit'), '"ip";r=5;t=60, "echo";r=3;t=30');
    assert.equal(first.headers.get('retry-after'), null);
    assert.equal((await call(server.url, 'Echo')).status, 200);
    const ranBefore = server.calls.count;

    // The route costs 2 of 5 points: the third call is over the route's limit.
    const denied = await call(server.url, 'Echo');
    assert.equal(denied.status, 429);
    assert.equal(((await denied.json()) as { code: string }).code, 'resource_exhausted');
    assert.match(denied.headers.get('ratelimit') ?? '', /"echo";r=0;t=\d+/);
    assert.ok(Number(denied.headers.get('retry-after')) >= 1);
    assert.equal(server.calls.count, ranBefore, 'the handler did not run');

    const client = createClient(EchoService, createGrpcTransport({ baseUrl: server.url }));
    // Other routes only count against the per-client limit (6): calls 4 and 5 pass, 6 too.
    assert.equal((await client.public({ text: 'x' })).text, 'x');
    assert.equal((await client.public({ text: 'x' })).text, 'x');
    await client.public({ text: 'x' });
    const err = await client.public({ text: 'x' }).then(
      () => assert.fail('expected the per-client limit to deny'),
      (e: unknown) => ConnectError.from(e),
    );
    assert.equal(err.code, Code.ResourceExhausted);
    const [retry] = err.findDetails(RetryInfoSchema);
    assert.ok(
      retry?.retryDelay && retry.retryDelay.seconds > 0n && retry.retryDelay.seconds <= 60n,
    );
    assert.match(err.metadata.get('ratelimit-policy') ?? '', /"ip";q=6;w=60/);
  });
});
