import assert from 'node:assert/strict';
import { Code, ConnectError } from '@connectrpc/connect';
import { ViolationsSchema } from '@kith/gen/buf/validate/validate_pb.js';

/** Awaits a call that must fail; returns its error as a ConnectError. */
export async function rejectionOf(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  assert.fail('expected the call to fail');
}

/** Awaits a call that must fail with `code`; returns the ConnectError for further checks. */
export async function rejectsWith(call: Promise<unknown>, code: Code): Promise<ConnectError> {
  const err = await rejectionOf(call);
  assert.equal(Code[err.code], Code[code], `expected code ${Code[code]}, got ${err.message}`);
  return err;
}

/** The code a call ended with, or 'ok' when it succeeded. */
export async function codeOf(call: Promise<unknown>): Promise<Code | 'ok'> {
  try {
    await call;
    return 'ok';
  } catch (err) {
    return ConnectError.from(err).code;
  }
}

/** The fields named in an InvalidArgument's violations detail, with their messages. */
export function violations(err: ConnectError): { field: string; message: string }[] {
  return err.findDetails(ViolationsSchema).flatMap((detail) =>
    detail.violations.map((v) => ({
      field: (v.field?.elements ?? []).map((e) => e.fieldName).join('.'),
      message: v.message,
    })),
  );
}

/** The field paths named by an InvalidArgument's violations. */
export function violatedFields(err: ConnectError): string[] {
  return violations(err).map((v) => v.field);
}
