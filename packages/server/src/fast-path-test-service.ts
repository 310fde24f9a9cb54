// Test-only (not exported): a service built at runtime for the fast-path comparison suite, with
// a protovalidate rule, a NO_SIDE_EFFECTS method (Connect GET) and a method that echoes its
// request (unknown fields included).
import { create, createFileRegistry, setExtension } from '@bufbuild/protobuf';
import type { DescMessage, Message } from '@bufbuild/protobuf';
import type { GenMessage, GenService } from '@bufbuild/protobuf/codegenv2';
import {
  FieldOptionsSchema,
  FileDescriptorProtoSchema,
  MethodOptionsSchema,
  MethodOptions_IdempotencyLevel,
} from '@bufbuild/protobuf/wkt';
import { ConnectError, createContextKey } from '@connectrpc/connect';
import type { ConnectRouter, HandlerContext, Interceptor, Code } from '@connectrpc/connect';
import {
  FieldRulesSchema,
  field as fieldRules,
  file_buf_validate_validate,
} from '@kith/gen/buf/validate/validate_pb.js';
import { HealthCheckResponseSchema } from '@kith/gen/grpc/health/v1/health_pb.js';
import { principalKey } from '@kith/context';

const textOptions = create(FieldOptionsSchema);
setExtension(
  textOptions,
  fieldRules,
  create(FieldRulesSchema, { type: { case: 'string', value: { minLen: 1n, maxLen: 40n } } }),
);
const readOnly = create(MethodOptionsSchema, {
  idempotencyLevel: MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS,
});

const STRING = 9;
const OPTIONAL = 1;
const io = {
  inputType: '.kith.test.v1.CompareRequest',
  outputType: '.kith.test.v1.CompareResponse',
};
const registry = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: 'kith/test/v1/compare.proto',
    package: 'kith.test.v1',
    syntax: 'proto3',
    dependency: ['buf/validate/validate.proto'],
    messageType: [
      {
        name: 'CompareRequest',
        field: [
          {
            name: 'text',
            number: 1,
            type: STRING,
            label: OPTIONAL,
            jsonName: 'text',
            options: textOptions,
          },
        ],
      },
      {
        name: 'CompareResponse',
        field: [{ name: 'text', number: 1, type: STRING, label: OPTIONAL, jsonName: 'text' }],
      },
    ],
    service: [
      {
        name: 'CompareService',
        method: [
          { name: 'Call', ...io },
          { name: 'Read', ...io, options: readOnly },
          {
            name: 'Mirror',
            inputType: '.kith.test.v1.CompareRequest',
            outputType: '.kith.test.v1.CompareRequest',
          },
          { name: 'Missing', ...io },
        ],
      },
    ],
  }),
  (name) => (name === 'buf/validate/validate.proto' ? file_buf_validate_validate : undefined),
);

export type CompareRequest = Message<'kith.test.v1.CompareRequest'> & { text: string };
type CompareResponse = Message<'kith.test.v1.CompareResponse'> & { text: string };
type Unary<I extends Message, O extends Message> = {
  methodKind: 'unary';
  input: GenMessage<I>;
  output: GenMessage<O>;
};
export const CompareService = registry.getService('kith.test.v1.CompareService') as GenService<{
  call: Unary<CompareRequest, CompareResponse>;
  read: Unary<CompareRequest, CompareResponse>;
  mirror: Unary<CompareRequest, CompareRequest>;
  missing: Unary<CompareRequest, CompareResponse>;
}>;
export const CompareRequestSchema = registry.getMessage(
  'kith.test.v1.CompareRequest',
) as DescMessage as GenMessage<CompareRequest>;
const CompareResponseSchema = registry.getMessage(
  'kith.test.v1.CompareResponse',
) as DescMessage as GenMessage<CompareResponse>;

/** Set from the `x-tenant` request header by the server's `contextValues` option. */
export const tenantKey = createContextKey<string>('none', { description: 'tenant' });
/** Set by `markingInterceptor`, read by the handler. */
const markKey = createContextKey<string>('', { description: 'mark' });

/** Adds a response header and a trailer, and a context value the handler reports. */
export const markingInterceptor: Interceptor = (next) => async (req) => {
  req.contextValues.set(markKey, `marked:${req.method.name}`);
  const res = await next(req);
  res.header.set('x-intercepted', req.requestMethod);
  res.trailer.set('x-interceptor-trailer', 'yes');
  return res;
};

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    });
  });
}

/**
 * `Call` and `Read` behave by their text: `code:<n>` throws that Connect code with metadata and
 * a detail, `boom` throws an unexpected error, `slow:<ms>` waits on the call's signal, `big`
 * answers 3000 characters, `headers` sets a response header and trailer, `context` answers the
 * context values; anything else is echoed.
 */
async function behave(req: CompareRequest, ctx: HandlerContext): Promise<CompareResponse> {
  const text = req.text;
  if (text.startsWith('code:')) {
    throw new ConnectError(
      `failed with ${text}`,
      Number(text.slice(5)) as Code,
      { 'x-error-meta': 'meta', 'trailer-x-error-trailer': 't' },
      [{ desc: HealthCheckResponseSchema, value: { status: 2 } }],
    );
  }
  if (text === 'boom') throw new Error('secret internal detail');
  if (text.startsWith('slow:')) await sleep(Number(text.slice(5)), ctx.signal);
  if (text === 'big') return create(CompareResponseSchema, { text: 'x'.repeat(3000) });
  if (text === 'headers') {
    ctx.responseHeader.set('x-handler-header', 'h');
    ctx.responseTrailer.append('x-handler-trailer', 't1');
    ctx.responseTrailer.append('x-handler-trailer', 't2');
  }
  if (text === 'context') {
    const who = ctx.values.get(principalKey)?.userId ?? 'anonymous';
    const parts = [ctx.values.get(tenantKey), ctx.values.get(markKey), who, ctx.requestMethod];
    return create(CompareResponseSchema, { text: parts.join('|') });
  }
  return create(CompareResponseSchema, { text });
}

export function registerCompareService(router: ConnectRouter): void {
  router.service(CompareService, {
    call: behave,
    read: behave,
    mirror: (req: CompareRequest) => req,
    // `missing` is left out: connect-es answers Unimplemented.
  } as never);
}
