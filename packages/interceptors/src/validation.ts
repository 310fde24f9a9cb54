import { createValidator } from '@bufbuild/protovalidate';
import type { Interceptor } from '@connectrpc/connect';
import { createValidateInterceptor } from '@connectrpc/validate';

/**
 * protovalidate rules from the protos, checked before any handler runs: a bad request answers
 * InvalidArgument with a `buf.validate.Violations` detail. One validator (and its compiled
 * rule cache) per interceptor.
 */
export function createValidationInterceptor(): Interceptor {
  return createValidateInterceptor({ validator: createValidator() });
}
