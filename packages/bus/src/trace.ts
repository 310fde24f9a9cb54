import { context, propagation, ROOT_CONTEXT, type Context } from '@opentelemetry/api';

/** W3C trace headers of the active context (empty when no propagator is registered). */
export function currentTraceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** The remote parent carried by a message's headers. */
export function contextFromHeaders(headers: Record<string, string>): Context {
  return propagation.extract(ROOT_CONTEXT, headers);
}
