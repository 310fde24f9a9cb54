import type { Interceptor } from '@connectrpc/connect';
import type { Tracer } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { createAuthenticationInterceptor } from './authentication.js';
import type { AuthenticationOptions } from './authentication.js';
import { createErrorMappingInterceptor } from './error-mapping.js';
import { createIdempotencyInterceptor } from './idempotency.js';
import type { IdempotencyOptions } from './idempotency.js';
import { createRateLimitInterceptor, perClientPolicy, perUserPolicy } from './rate-limit.js';
import type { Limiter, RateLimitPolicy } from './rate-limit.js';
import { createRequestLogInterceptor } from './request-log.js';
import { createTracingInterceptor } from './tracing.js';
import { createValidationInterceptor } from './validation.js';

export interface DefaultChainOptions {
  logger: Logger;
  tracer?: Tracer;
  rateLimit?: {
    perClient?: Limiter;
    perUser?: Limiter;
    /** Extra policies (e.g. `perRoutePolicy`), evaluated after authentication. */
    policies?: RateLimitPolicy[];
  };
  authentication: AuthenticationOptions;
  /** Omit for services without mutating RPCs. */
  idempotency?: IdempotencyOptions;
}

/**
 * Outermost first: request id + access log → error mapping → tracing → rate limit →
 * authentication → validation → idempotency. The rate limit is split around authentication:
 * the per-client limit runs before it (floods never reach token checks); per-user and per-route
 * limits run right after it, because they need the principal.
 */
export function defaultInterceptorChain(options: DefaultChainOptions): Interceptor[] {
  const { rateLimit } = options;
  const chain: Interceptor[] = [
    createRequestLogInterceptor({ logger: options.logger }),
    createErrorMappingInterceptor({ logger: options.logger }),
    createTracingInterceptor(options.tracer ? { tracer: options.tracer } : {}),
  ];
  if (rateLimit?.perClient) {
    chain.push(createRateLimitInterceptor({ policies: [perClientPolicy(rateLimit.perClient)] }));
  }
  chain.push(createAuthenticationInterceptor(options.authentication));
  const afterAuth = [
    ...(rateLimit?.perUser ? [perUserPolicy(rateLimit.perUser)] : []),
    ...(rateLimit?.policies ?? []),
  ];
  if (afterAuth.length > 0) chain.push(createRateLimitInterceptor({ policies: afterAuth }));
  chain.push(createValidationInterceptor());
  if (options.idempotency) chain.push(createIdempotencyInterceptor(options.idempotency));
  return chain;
}
