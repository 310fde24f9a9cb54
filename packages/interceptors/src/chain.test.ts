import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { createRateLimiter } from '@kith/cache';
import { Health } from '@kith/gen/grpc/health/v1/health_pb.js';
import { defaultInterceptorChain } from './chain.js';
import { EchoService, captureLogger, startEchoServer } from './test-service.js';
import type { EchoServer } from './test-service.js';

describe('default interceptor chain', () => {
  let server: EchoServer;
  const { logger, lines } = captureLogger();
  beforeAll(async () => {
    server = await startEchoServer(
      defaultInterceptorChain({
        logger,
        rateLimit: {
          perClient: createRateLimiter({
            store: 'memory',
            keyPrefix: 'ip',
            points: 8,
            durationSec: 60,
          }),
        },
        authentication: {
          authenticators: [
            async (headers) =>
              headers.get('authorization') === 'Bearer ok'
                ? { userId: 'u1', role: 'user', via: 'access_token', scopes: ['*'], issuedAt: 0 }
                : undefined,
          ],
          publicMethods: new Set(['kith.test.v1.EchoService/Public']),
        },
      }),
    );
  });
  afterAll(() => server.stop());

  it('authenticates before validating, and logs one line per call with the user', async () => {
    const client = createClient(EchoService, createGrpcTransport({ baseUrl: server.url }));
    await assert.rejects(
      client.echo({ text: '' }),
      (e: ConnectError) => e.code === Code.Unauthenticated,
    );
    const auth = { headers: { authorization: 'Bearer ok' } };
    await assert.rejects(
      client.echo({ text: '' }, auth),
      (e: ConnectError) => e.code === Code.InvalidArgument,
    );
    assert.equal((await client.echo({ text: 'hi' }, auth)).text, 'hi');
    const access = lines.filter((l) => l.msg === 'rpc');
    assert.deepEqual(
      access.map((l) => l.code),
      ['unauthenticated', 'invalid_argument', 'ok'],
    );
    assert.equal(access[2]?.userId, 'u1');
    assert.equal(server.calls.count, 1);
  });

  it('leaves health and reflection open, and rate-limits anonymous floods before authentication', async () => {
    const transport = createGrpcTransport({ baseUrl: server.url });
    const health = createClient(Health, transport);
    for (let i = 0; i < 10; i++) await health.check({});
    const client = createClient(EchoService, transport);
    const codes: Code[] = [];
    for (let i = 0; i < 8; i++) {
      codes.push(
        await client.echo({ text: 'x' }).then(
          () => -1 as Code,
          (e: unknown) => ConnectError.from(e).code,
        ),
      );
    }
    // 3 calls were spent above; 5 more are Unauthenticated, then the limit answers first.
    assert.deepEqual(codes.slice(0, 5), Array(5).fill(Code.Unauthenticated));
    assert.deepEqual(codes.slice(5), Array(3).fill(Code.ResourceExhausted));
  });
});
