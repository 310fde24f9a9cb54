// Test-only (not exported): a small service built at runtime, with a protovalidate rule and an
// `idempotency_key` field, so interceptor tests do not depend on evolving Kith contracts.
import { create, createFileRegistry, setExtension } from '@bufbuild/protobuf';
import type { DescMessage } from '@bufbuild/protobuf';
import type { GenMessage, GenService } from '@bufbuild/protobuf/codegenv2';
import { FieldOptionsSchema, FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import type { ConnectRouter, HandlerContext, Interceptor } from '@connectrpc/connect';
import { createKithServer } from '@kith/server';
import { pino } from 'pino';
import type { Logger } from 'pino';
import {
  FieldRulesSchema,
  field as fieldRules,
} from '@bufbuild/protovalidate/gen/buf/validate/validate_pb.js';
import { file_buf_validate_validate } from '@kith/gen/buf/validate/validate_pb.js';
import { principalKey } from '@kith/context';
import { InvalidArgumentError, NotFoundError } from '@kith/errors';
import type { Message } from '@bufbuild/protobuf';

const textOptions = create(FieldOptionsSchema);
setExtension(
  textOptions,
  fieldRules,
  create(FieldRulesSchema, { type: { case: 'string', value: { minLen: 1n, maxLen: 20n } } }),
);

const STRING = 9;
const INT32 = 5;
const method = (name: string) => ({
  name,
  inputType: '.kith.test.v1.EchoRequest',
  outputType: '.kith.test.v1.EchoResponse',
});
const registry = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: 'kith/test/v1/echo.proto',
    package: 'kith.test.v1',
    syntax: 'proto3',
    dependency: ['buf/validate/validate.proto'],
    messageType: [
      {
        name: 'EchoRequest',
        field: [
          {
            name: 'text',
            number: 1,
            type: STRING,
            label: 1,
            jsonName: 'text',
            options: textOptions,
          },
          {
            name: 'idempotency_key',
            number: 2,
            type: STRING,
            label: 1,
            jsonName: 'idempotencyKey',
          },
        ],
      },
      {
        name: 'EchoResponse',
        field: [
          { name: 'text', number: 1, type: STRING, label: 1, jsonName: 'text' },
          { name: 'calls', number: 2, type: INT32, label: 1, jsonName: 'calls' },
        ],
      },
    ],
    service: [
      { name: 'EchoService', method: [method('Echo'), method('Public'), method('Whoami')] },
    ],
  }),
  (name) => (name === 'buf/validate/validate.proto' ? file_buf_validate_validate : undefined),
);

export type EchoRequest = Message<'kith.test.v1.EchoRequest'> & {
  text: string;
  idempotencyKey: string;
};
export type EchoResponse = Message<'kith.test.v1.EchoResponse'> & { text: string; calls: number };
type Echo = {
  methodKind: 'unary';
  input: GenMessage<EchoRequest>;
  output: GenMessage<EchoResponse>;
};
export const EchoService = registry.getService('kith.test.v1.EchoService') as GenService<{
  echo: Echo;
  public: Echo;
  whoami: Echo;
}>;
export const EchoResponseSchema = registry.getMessage(
  'kith.test.v1.EchoResponse',
) as DescMessage as GenMessage<EchoResponse>;

/**
 * `Echo` behaves by its text: `boom` throws an unexpected error, `missing` a NotFoundError,
 * `invalid` an InvalidArgumentError, `slow:<ms>` waits; anything else is echoed. `calls` counts
 * handler runs so tests can tell whether the handler ran.
 */
export function registerEchoService(router: ConnectRouter, calls: { count: number }): void {
  const echo = async (req: EchoRequest, _ctx: HandlerContext) => {
    calls.count++;
    if (req.text === 'boom') throw new Error('connection to 10.0.0.7 refused: secret detail');
    if (req.text === 'missing') throw new NotFoundError('post not found');
    if (req.text === 'invalid')
      throw new InvalidArgumentError([{ field: 'profile.bio', message: 'too long' }]);
    if (req.text.startsWith('slow:'))
      await new Promise((r) => setTimeout(r, Number(req.text.slice(5))));
    return create(EchoResponseSchema, { text: req.text, calls: calls.count });
  };
  router.service(EchoService, {
    echo,
    public: echo,
    whoami: async (_req, ctx) =>
      create(EchoResponseSchema, { text: ctx.values.get(principalKey)?.userId ?? 'anonymous' }),
  });
}

export interface EchoServer {
  url: string;
  calls: { count: number };
  stop(): Promise<void>;
}

/** A real Kith server on a free port serving EchoService behind `interceptors`. */
export async function startEchoServer(interceptors: Interceptor[]): Promise<EchoServer> {
  const calls = { count: 0 };
  const server = createKithServer({
    logger: pino({ level: 'silent' }),
    interceptors,
    routes: (router) => registerEchoService(router, calls),
  });
  const { url } = await server.start();
  return { url, calls, stop: () => server.stop() };
}

/** Captures pino output as parsed lines. */
export function captureLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, lines };
}
