// Helpers for this folder's service tests (not shipped code paths: imported by *.test.ts only).
import assert from 'node:assert/strict';
import { ViolationsSchema } from '@kith/gen/buf/validate/validate_pb.js';
import { Code, ConnectError } from '@connectrpc/connect';
import type { Client } from '@connectrpc/connect';
import type { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import { manualClock, startAuthHarness } from '../testing/harness.js';
import type { AuthHarness, ManualClock } from '../testing/harness.js';

export const CONSENT = {
  termsAccepted: true,
  privacyPolicyAccepted: true,
  minimumAgeConfirmed: true,
  documentsVersion: '2026-01',
};

/**
 * The harness behind one trusted proxy, so each test can speak from its own client address
 * (`X-Forwarded-For`): the per-address sign-up and login limits do not leak between tests.
 */
export function startAccountsHarness(options: { clock?: ManualClock } = {}): Promise<AuthHarness> {
  return startAuthHarness({ clock: options.clock ?? manualClock(), env: { TRUST_PROXY: '1' } });
}

let ipCounter = 0;

/** A client address no other call in this process has used (TEST-NET-2 / TEST-NET-3). */
export function freshIp(): string {
  ipCounter++;
  return `198.51.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`;
}

/** An anonymous client seen as coming from `ip`. */
export function fromIp(h: AuthHarness, ip = freshIp()): Client<typeof AuthService> {
  return h.withHeaders({ 'x-forwarded-for': ip }).auth;
}

/** A signed-in client (access token) seen as coming from `ip`. */
export function signedIn(h: AuthHarness, accessToken: string, ip = freshIp()) {
  return h.as(accessToken, { 'x-forwarded-for': ip }).auth;
}

let nameCounter = 0;

export function uniqueUser(): { email: string; username: string; password: string } {
  const id = `${Date.now().toString(36)}${(nameCounter++).toString(36)}`;
  return {
    email: `acct${id}@example.com`,
    username: `acct${id}`,
    password: `purple otter ${id} lantern`,
  };
}

/** Register from a fresh address; returns what was sent. */
export async function registerUser(
  h: AuthHarness,
  user: Partial<ReturnType<typeof uniqueUser>> = {},
): Promise<ReturnType<typeof uniqueUser>> {
  const chosen = { ...uniqueUser(), ...user };
  await fromIp(h).register({ ...chosen, consent: CONSENT });
  return chosen;
}

/** Register, verify by the mailed link, and log in (from one address, one user agent). */
export async function verifiedUser(h: AuthHarness) {
  const user = await registerUser(h);
  const mail = await h.lastMailTo(user.email);
  assert.ok(mail.token, 'verification mail carries a token');
  const verified = await fromIp(h).verifyEmail({ token: mail.token });
  const session = await login(h, user.email, user.password);
  return { ...user, userId: verified.userId, ...session };
}

/** A password login that must end in tokens (not a challenge). */
export async function login(h: AuthHarness, identifier: string, password: string) {
  const answer = await fromIp(h).login({ identifier, password });
  assert.equal(answer.result.case, 'tokens', 'login answers with tokens');
  const tokens = answer.result.value;
  return {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    sessionId: tokens.sessionId,
  };
}

/** Awaits a rejection with `code`; returns the ConnectError for further checks. */
export async function rejectsWith(promise: Promise<unknown>, code: Code): Promise<ConnectError> {
  let caught: unknown;
  await assert.rejects(promise, (err: unknown) => {
    caught = err;
    return true;
  });
  const err = ConnectError.from(caught);
  assert.equal(Code[err.code], Code[code], err.message);
  return err;
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

export function violatedFields(err: ConnectError): string[] {
  return violations(err).map((v) => v.field);
}
