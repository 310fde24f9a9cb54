import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { create } from '@bufbuild/protobuf';
import { ViolationsSchema } from '@bufbuild/protovalidate/gen/buf/validate/validate_pb.js';
import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { AuthService, LoginResponseSchema } from '@kith/gen/kith/auth/v1/auth_pb.js';
import { createValidationInterceptor } from './validation.js';
import { EchoService, startEchoServer } from './test-service.js';
import type { EchoServer } from './test-service.js';

describe('request validation', () => {
  let server: EchoServer;
  beforeAll(async () => {
    server = await startEchoServer([createValidationInterceptor()]);
  });
  afterAll(() => server.stop());

  it('answers InvalidArgument with field violations before the handler runs', async () => {
    const client = createClient(EchoService, createGrpcTransport({ baseUrl: server.url }));
    const err = await client.echo({ text: 'x'.repeat(21) }).then(
      () => assert.fail('expected InvalidArgument'),
      (e: unknown) => ConnectError.from(e),
    );
    assert.equal(err.code, Code.InvalidArgument);
    const [violations] = err.findDetails(ViolationsSchema);
    assert.equal(violations?.violations[0]?.field?.elements[0]?.fieldName, 'text');
    assert.equal(violations.violations[0]?.ruleId, 'string.max_len');
    await assert.rejects(
      client.echo({ text: '' }),
      (e: ConnectError) => e.code === Code.InvalidArgument,
    );
    assert.equal(server.calls.count, 0);
    assert.equal((await client.echo({ text: 'fine' })).text, 'fine');
    assert.equal(server.calls.count, 1);
  });

  it('enforces the rules of the generated Kith contracts offline', async () => {
    let ran = 0;
    const transport = createRouterTransport(
      (router) =>
        router.service(AuthService, {
          login: () => {
            ran++;
            return create(LoginResponseSchema);
          },
        }),
      { router: { interceptors: [createValidationInterceptor()] } },
    );
    const client = createClient(AuthService, transport);
    const err = await client.login({ identifier: '', password: 'x'.repeat(300) }).then(
      () => assert.fail('expected InvalidArgument'),
      (e: unknown) => ConnectError.from(e),
    );
    assert.equal(err.code, Code.InvalidArgument);
    const fields = err
      .findDetails(ViolationsSchema)[0]
      ?.violations.map((v) => v.field?.elements[0]?.fieldName)
      .sort();
    assert.deepEqual(fields, ['identifier', 'password']);
    assert.equal(ran, 0);
  });
});
