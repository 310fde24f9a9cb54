import { create } from '@bufbuild/protobuf';
import { DurationSchema } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import {
  FieldPathElementSchema,
  FieldPathSchema,
  ViolationSchema,
  ViolationsSchema,
} from '@bufbuild/protovalidate/gen/buf/validate/validate_pb.js';
import { RetryInfoSchema } from '@kith/gen/google/rpc/error_details_pb.js';
import type { Logger } from 'pino';
import { DomainError, InvalidArgumentError, ResourceExhaustedError } from './domain-errors.js';
import type { FieldViolation } from './domain-errors.js';

export interface ToConnectErrorOptions {
  /** Receives unexpected errors (with stack) — the client only ever sees "internal error". */
  logger?: Logger;
}

type Detail = ConstructorParameters<typeof ConnectError>[3];

/** Field violations in the same shape the protovalidate interceptor emits. */
export function violationsDetail(
  violations: readonly FieldViolation[],
): NonNullable<Detail>[number] {
  return {
    desc: ViolationsSchema,
    value: create(ViolationsSchema, {
      violations: violations.map((v) =>
        create(ViolationSchema, {
          message: v.message,
          ...(v.ruleId !== undefined && { ruleId: v.ruleId }),
          field: create(FieldPathSchema, {
            elements: v.field
              .split('.')
              .filter((name) => name !== '')
              .map((fieldName) => create(FieldPathElementSchema, { fieldName })),
          }),
        }),
      ),
    }),
  };
}

/** `google.rpc.RetryInfo` telling the client how long to back off. */
export function retryInfoDetail(retryAfterMs: number): NonNullable<Detail>[number] {
  const ms = Math.max(0, Math.ceil(retryAfterMs));
  return {
    desc: RetryInfoSchema,
    value: create(RetryInfoSchema, {
      retryDelay: create(DurationSchema, {
        seconds: BigInt(Math.floor(ms / 1000)),
        nanos: (ms % 1000) * 1_000_000,
      }),
    }),
  };
}

/**
 * @kith/db throws InvalidPageTokenError for a tampered or stale cursor. It is recognised by name
 * so this package does not depend on the database layer.
 */
function isInvalidPageToken(err: unknown): boolean {
  return err instanceof Error && err.name === 'InvalidPageTokenError';
}

/**
 * The single place where failures become what a client sees. Domain errors keep their code,
 * message and machine-readable details; ConnectErrors (e.g. from validation or the framework)
 * pass through; anything else is logged in full and answered as a bare Internal.
 */
export function toConnectError(err: unknown, options: ToConnectErrorOptions = {}): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof DomainError) {
    const details: Detail = [];
    if (err instanceof InvalidArgumentError && err.violations.length > 0) {
      details.push(violationsDetail(err.violations));
    }
    if (err instanceof ResourceExhaustedError && err.retryAfterMs !== undefined) {
      details.push(retryInfoDetail(err.retryAfterMs));
    }
    return new ConnectError(err.message, err.code, undefined, details, err);
  }
  if (isInvalidPageToken(err)) {
    return new ConnectError('invalid page token', Code.InvalidArgument, undefined, [
      violationsDetail([{ field: 'page_token', message: 'invalid page token' }]),
    ]);
  }
  options.logger?.error({ err }, 'unexpected error');
  // No cause attached: nothing about the failure may travel to the client.
  return new ConnectError('internal error', Code.Internal);
}
