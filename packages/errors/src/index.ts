export {
  AbortedError,
  AlreadyExistsError,
  DeadlineExceededError,
  DomainError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  UnauthenticatedError,
  UnavailableError,
} from './domain-errors.js';
export type { FieldViolation } from './domain-errors.js';
export { retryInfoDetail, toConnectError, violationsDetail } from './to-connect-error.js';
export type { ToConnectErrorOptions } from './to-connect-error.js';
