import type { Interceptor } from '@connectrpc/connect';
import { requestLogger } from '@kith/context';
import { toConnectError } from '@kith/errors';
import type { Logger } from 'pino';
import { mapCallErrors } from './observe-call.js';

/**
 * Turns whatever a handler (or an inner interceptor) throws into a client-safe ConnectError.
 * Unexpected errors are logged with their stack on the request logger; the client sees only
 * "internal error".
 */
export function createErrorMappingInterceptor({ logger }: { logger: Logger }): Interceptor {
  return (next) => (req) =>
    mapCallErrors(req, next, (err) =>
      toConnectError(err, { logger: requestLogger(req.contextValues) ?? logger }),
    );
}
