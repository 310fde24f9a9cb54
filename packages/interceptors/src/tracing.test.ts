import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { SpanKind, SpanStatusCode, context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { createErrorMappingInterceptor } from './error-mapping.js';
import { createRequestLogInterceptor } from './request-log.js';
import { createTracingInterceptor } from './tracing.js';
import { captureLogger, startEchoServer } from './test-service.js';
import type { EchoServer } from './test-service.js';

describe('tracing', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const { logger, lines } = captureLogger();
  let server: EchoServer;

  beforeAll(async () => {
    // What the runtime does when tracing is enabled by env: a context manager and W3C propagation.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    server = await startEchoServer([
      createRequestLogInterceptor({ logger }),
      createErrorMappingInterceptor({ logger }),
      createTracingInterceptor({ tracer: provider.getTracer('kith') }),
    ]);
  });
  afterAll(async () => {
    await server.stop();
    await provider.shutdown();
    context.disable();
    propagation.disable();
  });

  const echo = (text: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/kith.test.v1.EchoService/Echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ text }),
    });

  it('opens a server span per RPC as a child of the incoming W3C trace context', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    assert.equal((await echo('hi', { traceparent: `00-${traceId}-${parentId}-01` })).status, 200);
    const spans = exporter.getFinishedSpans();
    assert.equal(spans.length, 1);
    const span = spans[0]!;
    assert.equal(span.name, 'kith.test.v1.EchoService/Echo');
    assert.equal(span.kind, SpanKind.SERVER);
    assert.equal(span.spanContext().traceId, traceId);
    assert.equal(span.parentSpanContext?.spanId, parentId);
    assert.deepEqual(span.attributes, {
      'rpc.system': 'connect_rpc',
      'rpc.service': 'kith.test.v1.EchoService',
      'rpc.method': 'Echo',
    });
    assert.equal(span.status.code, SpanStatusCode.UNSET);
    assert.equal(
      lines.find((l) => l.msg === 'rpc')?.traceId,
      traceId,
      'access log carries the trace id',
    );
  });

  it('marks failed RPCs as errors', async () => {
    exporter.reset();
    assert.equal((await echo('missing')).status, 404);
    const [span] = exporter.getFinishedSpans();
    assert.equal(span?.status.code, SpanStatusCode.ERROR);
    assert.equal(span.attributes['rpc.connect_rpc.error_code'], 'not_found');
    assert.equal(span.parentSpanContext, undefined, 'a root span without incoming context');
  });
});
