// Test-only service (not exported): a file built at runtime on top of the vendored health proto,
// so server tests need no generated Kith contracts.
import { create, createFileRegistry } from '@bufbuild/protobuf';
import type { DescFile, DescMethodUnary } from '@bufbuild/protobuf';
import type { GenService } from '@bufbuild/protobuf/codegenv2';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import type { ConnectRouter } from '@connectrpc/connect';
import {
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
  file_grpc_health_v1_health,
} from '@kith/gen/grpc/health/v1/health_pb.js';
import type { HealthCheckRequestSchema } from '@kith/gen/grpc/health/v1/health_pb.js';

const proto = create(FileDescriptorProtoSchema, {
  name: 'kith/test/v1/slow.proto',
  package: 'kith.test.v1',
  syntax: 'proto3',
  dependency: ['grpc/health/v1/health.proto'],
  messageType: [
    {
      name: 'Outer',
      nestedType: [{ name: 'Inner' }],
      enumType: [{ name: 'Kind', value: [{ name: 'KIND_UNSPECIFIED', number: 0 }] }],
    },
  ],
  service: [
    {
      name: 'SlowService',
      method: [
        {
          name: 'Sleep',
          inputType: '.grpc.health.v1.HealthCheckRequest',
          outputType: '.grpc.health.v1.HealthCheckResponse',
        },
      ],
    },
  ],
});

const registry = createFileRegistry(proto, (name) =>
  name === 'grpc/health/v1/health.proto' ? file_grpc_health_v1_health : undefined,
);

export const slowFile: DescFile = registry.getFile('kith/test/v1/slow.proto')!;
type SlowServiceShape = {
  sleep: {
    methodKind: 'unary';
    input: typeof HealthCheckRequestSchema;
    output: typeof HealthCheckResponseSchema;
  };
};
export const SlowService = registry.getService(
  'kith.test.v1.SlowService',
) as GenService<SlowServiceShape>;
export const sleepMethod = SlowService.methods[0] as DescMethodUnary<
  typeof HealthCheckRequestSchema,
  typeof HealthCheckResponseSchema
>;

/** `Sleep` waits the number of milliseconds given in `service`, then answers SERVING. */
export function registerSlowService(router: ConnectRouter, calls: { count: number }): void {
  router.rpc(sleepMethod, async (req) => {
    calls.count++;
    await new Promise((resolve) => setTimeout(resolve, Number(req.service) || 0));
    return create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVING });
  });
}
