import { createContextKey } from '@connectrpc/connect';
import type { Interceptor } from '@connectrpc/connect';
import { toConnectError } from '@kith/errors';
import {
  INVALID_SPAN_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
} from '@opentelemetry/api';
import type { TextMapGetter, Tracer } from '@opentelemetry/api';
import { codeToString } from '@connectrpc/connect/protocol-connect';
import { observeCall, rpcName } from './observe-call.js';

/** Trace id of the RPC's span (empty when no tracing SDK is installed), for the access log. */
export const traceIdKey = createContextKey<string>('', { description: 'trace id' });

const headerGetter: TextMapGetter<Headers> = {
  keys: (carrier) => [...carrier.keys()],
  get: (carrier, key) => carrier.get(key) ?? undefined,
};

/**
 * One server span per RPC named `pkg.Service/Method`, child of the caller's W3C trace context.
 * Uses the OpenTelemetry API only; without an SDK registered every span is a no-op.
 */
export function createTracingInterceptor({
  tracer = trace.getTracer('kith'),
}: { tracer?: Tracer } = {}): Interceptor {
  return (next) => (req) => {
    const parent = propagation.extract(context.active(), req.header, headerGetter);
    const span = tracer.startSpan(
      rpcName(req),
      {
        kind: SpanKind.SERVER,
        attributes: {
          'rpc.system': 'connect_rpc',
          'rpc.service': req.service.typeName,
          'rpc.method': req.method.name,
        },
      },
      parent,
    );
    const spanContext = span.spanContext();
    // The no-op tracer's span without a parent holds this very object: no regular expressions.
    if (spanContext === INVALID_SPAN_CONTEXT || !trace.isSpanContextValid(spanContext)) {
      // No SDK and no caller's trace: the span records nothing and carries no id to propagate,
      // so making it active would change nothing anyone can read.
      if (!span.isRecording()) return next(req);
    } else req.contextValues.set(traceIdKey, spanContext.traceId);
    return context.with(trace.setSpan(parent, span), () =>
      observeCall(req, next, (err) => {
        if (err !== undefined) {
          // Inside error mapping, so map here too: a NotFoundError must not read as `unknown`.
          const code = toConnectError(err).code;
          span.setAttribute('rpc.connect_rpc.error_code', codeToString(code));
          span.setStatus({ code: SpanStatusCode.ERROR, message: codeToString(code) });
          if (err instanceof Error) span.recordException(err);
        }
        span.end();
      }),
    );
  };
}
