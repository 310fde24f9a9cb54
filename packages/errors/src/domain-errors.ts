import { Code } from '@connectrpc/connect';

/** One problem with one request field; `field` is a dotted proto path such as `profile.bio`. */
export interface FieldViolation {
  field: string;
  message: string;
  /** The rule that refused it, e.g. `user.rejected_by_rule`; sent as the violation's rule_id. */
  ruleId?: string;
}

interface DomainErrorOptions {
  /** The underlying failure; logged, never sent to the client. */
  cause?: unknown;
}

/**
 * Base of every error a domain may throw on purpose. Its message is shown to clients as-is, so
 * it must be short and never contain internal detail (ids the caller may not see, SQL, stacks).
 */
export abstract class DomainError extends Error {
  abstract readonly code: Code;

  constructor(message: string, options: DomainErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  readonly code = Code.NotFound;
  constructor(message = 'not found', options?: DomainErrorOptions) {
    super(message, options);
  }
}

export class InvalidArgumentError extends DomainError {
  readonly code = Code.InvalidArgument;
  constructor(
    readonly violations: readonly FieldViolation[],
    message = 'invalid argument',
    options?: DomainErrorOptions,
  ) {
    super(message, options);
  }
}

export class AlreadyExistsError extends DomainError {
  readonly code = Code.AlreadyExists;
  constructor(message = 'already exists', options?: DomainErrorOptions) {
    super(message, options);
  }
}

export class PermissionDeniedError extends DomainError {
  readonly code = Code.PermissionDenied;
  constructor(message = 'permission denied', options?: DomainErrorOptions) {
    super(message, options);
  }
}

export class UnauthenticatedError extends DomainError {
  readonly code = Code.Unauthenticated;
  constructor(message = 'unauthenticated', options?: DomainErrorOptions) {
    super(message, options);
  }
}

export class FailedPreconditionError extends DomainError {
  readonly code = Code.FailedPrecondition;
  constructor(message = 'failed precondition', options?: DomainErrorOptions) {
    super(message, options);
  }
}

export class ResourceExhaustedError extends DomainError {
  readonly code = Code.ResourceExhausted;
  /** How long the client should wait before retrying; sent as `google.rpc.RetryInfo`. */
  readonly retryAfterMs: number | undefined;
  constructor(
    { retryAfterMs, message = 'rate limited' }: { retryAfterMs?: number; message?: string } = {},
    options?: DomainErrorOptions,
  ) {
    super(message, options);
    this.retryAfterMs = retryAfterMs;
  }
}

export class AbortedError extends DomainError {
  readonly code = Code.Aborted;
  constructor(message = 'aborted', options?: DomainErrorOptions) {
    super(message, options);
  }
}

export class UnavailableError extends DomainError {
  readonly code = Code.Unavailable;
  constructor(message = 'unavailable', options?: DomainErrorOptions) {
    super(message, options);
  }
}

export class DeadlineExceededError extends DomainError {
  readonly code = Code.DeadlineExceeded;
  constructor(message = 'deadline exceeded', options?: DomainErrorOptions) {
    super(message, options);
  }
}
