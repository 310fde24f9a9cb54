export { defaultInterceptorChain } from './chain.js';
export type { DefaultChainOptions } from './chain.js';
export { createRequestLogInterceptor } from './request-log.js';
export type { RequestLogOptions } from './request-log.js';
export { createErrorMappingInterceptor } from './error-mapping.js';
export { createTracingInterceptor, traceIdKey } from './tracing.js';
export {
  callerKey,
  createRateLimitInterceptor,
  perClientPolicy,
  perRoutePolicy,
  perUserPolicy,
} from './rate-limit.js';
export type { Limiter, RateLimitPolicy } from './rate-limit.js';
export { bearerAuthenticator, createJwtVerifier, InvalidTokenError } from './jwt.js';
export type { JwtVerifierOptions } from './jwt.js';
export {
  authenticate,
  createAuthenticationInterceptor,
  requirePrincipal,
  requireRole,
} from './authentication.js';
export type { AuthenticationOptions, Authenticator } from './authentication.js';
export { createValidationInterceptor } from './validation.js';
export { createIdempotencyInterceptor } from './idempotency.js';
export type { IdempotencyOptions } from './idempotency.js';
export { sealedIdempotencyStore } from './sealed-idempotency-store.js';
export {
  createPostgresIdempotencyStore,
  idempotencyMigrations,
  purgeIdempotencyKeys,
} from './idempotency-store.js';
export type {
  BeginResult,
  IdempotencyKeysTable,
  IdempotencyStore,
  IdempotencyTables,
  PostgresIdempotencyStoreOptions,
} from './idempotency-store.js';
export { rpcName } from './observe-call.js';
