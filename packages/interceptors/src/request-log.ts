import { randomUUID } from 'node:crypto';
import { Code, ConnectError } from '@connectrpc/connect';
import type { Interceptor } from '@connectrpc/connect';
import { clientAddressKey, loggerKey, principalKey, requestIdKey } from '@kith/context';
import type { Logger } from 'pino';
import { observeCall, outcomeOf, rpcName } from './observe-call.js';
import type { AnyRequest } from './observe-call.js';
import { traceIdKey } from './tracing.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;
const serverFaults = new Set([Code.Internal, Code.Unknown, Code.DataLoss]);

export interface RequestLogOptions {
  logger: Logger;
  /** Id for requests that bring none (or an invalid one). Default: random UUID. */
  generateId?: () => string;
}

/**
 * Request id (a valid incoming `x-request-id`, else a new one, echoed in the response) and the
 * access log: exactly one line per call when it ends. Bodies and headers are never logged.
 */
export function createRequestLogInterceptor({
  logger,
  generateId = randomUUID,
}: RequestLogOptions): Interceptor {
  // The access line holds only the fixed, non-secret fields below, all of them primitives, so
  // no redaction path can match it: it is written without pino's redaction pass (which clones
  // the object and costs several times the line itself).
  const access = logger.child({}, { redact: [] });
  // One access logger per method, `rpc` bound once: pino serializes bindings when the child is
  // made, not on every line (the line reads the same).
  const accessOf = new WeakMap<AnyRequest['method'], Logger>();
  return (next) => async (req) => {
    const incoming = req.header.get('x-request-id');
    const requestId = incoming !== null && REQUEST_ID.test(incoming) ? incoming : generateId();
    const rpc = rpcName(req);
    const values = req.contextValues;
    values.set(requestIdKey, requestId);
    let child: Logger | undefined;
    values.set(loggerKey, () => (child ??= logger.child({ requestId, rpc })));
    const started = performance.now();
    const finish = (err: unknown): void => {
      const code = outcomeOf(err);
      const line = {
        code,
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
        userId: values.get(principalKey)?.userId,
        requestId,
        traceId: values.get(traceIdKey) || undefined,
        client: values.get(clientAddressKey) || undefined,
      };
      const fault = err !== undefined && serverFaults.has(ConnectError.from(err).code);
      let methodAccess = accessOf.get(req.method);
      if (methodAccess === undefined) {
        methodAccess = access.child({ rpc });
        accessOf.set(req.method, methodAccess);
      }
      methodAccess[fault ? 'warn' : 'info'](line, 'rpc');
    };
    try {
      const res = await observeCall(req, next, finish);
      res.header.set('x-request-id', requestId);
      return res;
    } catch (err) {
      if (err instanceof ConnectError) err.metadata.set('x-request-id', requestId);
      throw err;
    }
  };
}
