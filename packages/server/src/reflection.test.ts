import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { create, fromBinary } from '@bufbuild/protobuf';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { file_buf_validate_validate } from '@kith/gen/buf/validate/validate_pb.js';
import * as v1 from '@kith/gen/grpc/reflection/v1/reflection_pb.js';
import * as v1alpha from '@kith/gen/grpc/reflection/v1alpha/reflection_pb.js';
import { pino } from 'pino';
import { createKithServer } from './server.js';
import type { KithServer } from './server.js';
import { registerSlowService } from './test-service.js';

const run = promisify(execFile);
const buf = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../node_modules/.bin/buf',
);

type Request = MessageInitShape<typeof v1.ServerReflectionRequestSchema>['messageRequest'];

/** Sends the requests on ONE reflection stream and collects the answers. */
async function reflect(url: string, version: 'v1' | 'v1alpha', requests: Request[]) {
  const transport = createGrpcTransport({ baseUrl: url });
  const answers: v1.ServerReflectionResponse['messageResponse'][] = [];
  async function* messages() {
    for (const messageRequest of requests) {
      yield version === 'v1'
        ? create(v1.ServerReflectionRequestSchema, { messageRequest })
        : create(v1alpha.ServerReflectionRequestSchema, { messageRequest } as MessageInitShape<
            typeof v1alpha.ServerReflectionRequestSchema
          >);
    }
  }
  if (version === 'v1') {
    const client = createClient(v1.ServerReflection, transport);
    for await (const res of client.serverReflectionInfo(
      messages() as AsyncIterable<v1.ServerReflectionRequest>,
    )) {
      answers.push(res.messageResponse);
    }
  } else {
    const client = createClient(v1alpha.ServerReflection, transport);
    const stream = client.serverReflectionInfo(
      messages() as AsyncIterable<v1alpha.ServerReflectionRequest>,
    );
    for await (const res of stream)
      answers.push(res.messageResponse as v1.ServerReflectionResponse['messageResponse']);
  }
  return answers;
}

function fileNames(answer: v1.ServerReflectionResponse['messageResponse'] | undefined): string[] {
  assert.equal(answer?.case, 'fileDescriptorResponse');
  return answer.value.fileDescriptorProto.map(
    (bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name,
  );
}

const expectedServices = [
  'grpc.health.v1.Health',
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
  'kith.test.v1.SlowService',
];

describe('gRPC reflection', () => {
  let server: KithServer;
  let url: string;

  beforeAll(async () => {
    server = createKithServer({
      logger: pino({ level: 'silent' }),
      routes: (router) => registerSlowService(router, { count: 0 }),
      // An extra file that is not a served service: extensions of google.protobuf.FieldOptions.
      descriptors: [file_buf_validate_validate],
    });
    ({ url } = await server.start());
  });
  afterAll(() => server.stop());

  for (const version of ['v1', 'v1alpha'] as const) {
    it(`lists services over ${version}`, async () => {
      const [answer] = await reflect(url, version, [{ case: 'listServices', value: '' }]);
      assert.equal(answer?.case, 'listServicesResponse');
      assert.deepEqual(answer.value.service.map((s) => s.name).sort(), expectedServices);
    });
  }

  it('answers file_containing_symbol with the file and its dependencies, each once per stream', async () => {
    const answers = await reflect(url, 'v1', [
      { case: 'fileContainingSymbol', value: 'kith.test.v1.SlowService.Sleep' },
      { case: 'fileContainingSymbol', value: 'kith.test.v1.Outer.Inner' },
      { case: 'fileContainingSymbol', value: 'grpc.health.v1.HealthCheckResponse.ServingStatus' },
      { case: 'fileByFilename', value: 'kith/test/v1/slow.proto' },
    ]);
    assert.deepEqual(fileNames(answers[0]), [
      'kith/test/v1/slow.proto',
      'grpc/health/v1/health.proto',
    ]);
    // Already sent on this stream: only the requested file itself comes back.
    assert.deepEqual(fileNames(answers[1]), ['kith/test/v1/slow.proto']);
    assert.deepEqual(fileNames(answers[2]), ['grpc/health/v1/health.proto']);
    assert.deepEqual(fileNames(answers[3]), ['kith/test/v1/slow.proto']);
    const described = fromBinary(
      FileDescriptorProtoSchema,
      (answers[0] as { value: { fileDescriptorProto: Uint8Array[] } }).value
        .fileDescriptorProto[0]!,
    );
    assert.equal(described.service[0]?.method[0]?.inputType, '.grpc.health.v1.HealthCheckRequest');
  });

  it('answers extension queries and reports unknown symbols', async () => {
    const answers = await reflect(url, 'v1alpha', [
      { case: 'fileContainingSymbol', value: 'no.such.Symbol' },
      { case: 'allExtensionNumbersOfType', value: 'google.protobuf.FieldOptions' },
      {
        case: 'fileContainingExtension',
        value: { containingType: 'google.protobuf.FieldOptions', extensionNumber: 1159 },
      },
      {
        case: 'fileContainingExtension',
        value: { containingType: 'google.protobuf.FieldOptions', extensionNumber: 7 },
      },
      { case: 'allExtensionNumbersOfType', value: 'grpc.health.v1.HealthCheckRequest' },
      { case: 'fileByFilename', value: 'grpc/reflection/v1/reflection.proto' },
    ]);
    assert.equal(answers[0]?.case, 'errorResponse');
    assert.equal(answers[0].value.errorCode, 5);
    assert.equal(answers[1]?.case, 'allExtensionNumbersResponse');
    assert.deepEqual(answers[1].value.extensionNumber, [1159, 1160]);
    assert.deepEqual(fileNames(answers[2]), [
      'buf/validate/validate.proto',
      'google/protobuf/descriptor.proto',
      'google/protobuf/duration.proto',
      'google/protobuf/field_mask.proto',
      'google/protobuf/timestamp.proto',
    ]);
    assert.equal(answers[3]?.case, 'errorResponse');
    assert.equal(answers[4]?.case, 'allExtensionNumbersResponse');
    assert.deepEqual(answers[4].value.extensionNumber, []);
    assert.deepEqual(fileNames(answers[5]), ['grpc/reflection/v1/reflection.proto']);
  });

  it('works with the real buf curl client', async () => {
    const args = ['curl', '--protocol', 'grpc', '--http2-prior-knowledge'];
    const services = await run(buf, [...args, '--list-services', url]);
    assert.deepEqual(services.stdout.trim().split('\n').sort(), expectedServices);
    const methods = await run(buf, [...args, '--list-methods', url]);
    assert.match(methods.stdout, /^grpc\.reflection\.v1\.ServerReflection\/ServerReflectionInfo$/m);
    assert.match(methods.stdout, /^kith\.test\.v1\.SlowService\/Sleep$/m);
    const check = await run(buf, [...args, '-d', '{}', `${url}/grpc.health.v1.Health/Check`]);
    assert.deepEqual(JSON.parse(check.stdout), { status: 'SERVING' });
  });
});
