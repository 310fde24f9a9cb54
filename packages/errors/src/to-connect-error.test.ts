import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { Code, ConnectError } from '@connectrpc/connect';
import { ViolationsSchema } from '@bufbuild/protovalidate/gen/buf/validate/validate_pb.js';
import { RetryInfoSchema } from '@kith/gen/google/rpc/error_details_pb.js';
import { pino } from 'pino';
import {
  AbortedError,
  AlreadyExistsError,
  DeadlineExceededError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  UnauthenticatedError,
  UnavailableError,
} from './domain-errors.js';
import { toConnectError } from './to-connect-error.js';

describe('toConnectError', () => {
  it('keeps each domain error code and message', () => {
    const cases: [Error, Code][] = [
      [new NotFoundError('post not found'), Code.NotFound],
      [new AlreadyExistsError('username taken'), Code.AlreadyExists],
      [new PermissionDeniedError(), Code.PermissionDenied],
      [new UnauthenticatedError(), Code.Unauthenticated],
      [new FailedPreconditionError('circle is full'), Code.FailedPrecondition],
      [new AbortedError(), Code.Aborted],
      [new UnavailableError(), Code.Unavailable],
      [new DeadlineExceededError(), Code.DeadlineExceeded],
    ];
    for (const [err, code] of cases) {
      const mapped = toConnectError(err);
      assert.equal(mapped.code, code, err.name);
      assert.equal(mapped.rawMessage, err.message);
      assert.deepEqual(mapped.details, []);
    }
  });

  it('sends field violations as buf.validate.Violations', () => {
    const mapped = toConnectError(
      new InvalidArgumentError([{ field: 'profile.bio', message: 'too long' }]),
    );
    assert.equal(mapped.code, Code.InvalidArgument);
    const [violations] = mapped.findDetails(ViolationsSchema);
    assert.equal(violations?.violations.length, 1);
    assert.equal(violations.violations[0]?.message, 'too long');
    assert.deepEqual(
      violations.violations[0]?.field?.elements.map((e) => e.fieldName),
      ['profile', 'bio'],
    );
  });

  it('sends retry-after as google.rpc.RetryInfo', () => {
    const mapped = toConnectError(new ResourceExhaustedError({ retryAfterMs: 2500 }));
    assert.equal(mapped.code, Code.ResourceExhausted);
    const [info] = mapped.findDetails(RetryInfoSchema);
    assert.equal(info?.retryDelay?.seconds, 2n);
    assert.equal(info?.retryDelay?.nanos, 500_000_000);
  });

  it('recognises the page token error of @kith/db by name', () => {
    class InvalidPageTokenError extends Error {
      override readonly name = 'InvalidPageTokenError';
      readonly field = 'page_token';
    }
    const mapped = toConnectError(new InvalidPageTokenError('bad hmac 0xdeadbeef'));
    assert.equal(mapped.code, Code.InvalidArgument);
    assert.equal(mapped.rawMessage, 'invalid page token');
    const [violations] = mapped.findDetails(ViolationsSchema);
    assert.equal(violations?.violations[0]?.field?.elements[0]?.fieldName, 'page_token');
  });

  it('passes ConnectErrors through untouched', () => {
    const original = new ConnectError('bad', Code.InvalidArgument);
    assert.equal(toConnectError(original), original);
  });

  it('hides unexpected errors behind a bare Internal and logs them in full', () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'info' },
      { write: (l: string) => void lines.push(JSON.parse(l)) },
    );
    const mapped = toConnectError(new TypeError('cannot read x of undefined at db.ts:42'), {
      logger,
    });
    assert.equal(mapped.code, Code.Internal);
    assert.equal(mapped.rawMessage, 'internal error');
    assert.deepEqual(mapped.details, []);
    assert.equal(mapped.cause, undefined);
    assert.equal(lines.length, 1);
    const err = lines[0]?.err as { message: string; stack: string };
    assert.match(err.message, /db\.ts:42/);
    assert.match(err.stack, /TypeError/);
    assert.equal(toConnectError('a string').code, Code.Internal);
  });
});
