import assert from 'node:assert/strict';
import type { Client } from '@connectrpc/connect';
import { ConnectError } from '@connectrpc/connect';
import type { Code } from '@connectrpc/connect';
import type { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import type { TokenPair } from '@kith/gen/kith/auth/v1/types_pb.js';
import { ViolationsSchema } from '@kith/gen/buf/validate/validate_pb.js';
import { uuidv7 } from 'uuidv7';
import { normalizeUsername, usernameSkeleton } from '../credentials/index.js';
import type { AuthHarness } from '../testing/harness.js';

// Test support for the login and MFA service tests (not shipped code paths).

/** The harness for these tests: X-Forwarded-For is trusted, so each test can be its own client. */
export function harnessOptions() {
  return { env: { TRUST_PROXY: 'true' } };
}

let ipCounter = 0;
/** A client address no other test in this process uses (the throttles count per address). */
export function freshIp(): string {
  ipCounter += 1;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

export interface ClientOptions {
  ip?: string;
  userAgent?: string;
}

const headersFor = (o: ClientOptions) => ({
  'x-forwarded-for': o.ip ?? freshIp(),
  'user-agent': o.userAgent ?? 'kith-test/1.0',
});

/** An anonymous client from one address and user agent (a device). */
export function deviceClient(h: AuthHarness, o: ClientOptions = {}): Client<typeof AuthService> {
  return h.withHeaders(headersFor(o)).auth;
}

/** A signed-in client from one address and user agent. */
export function signedInClient(
  h: AuthHarness,
  accessToken: string,
  o: ClientOptions = {},
): Client<typeof AuthService> {
  return h.as(accessToken, headersFor(o)).auth;
}

export interface TestAccount {
  id: string;
  email: string;
  username: string;
  password: string;
}

let accountCounter = 0;

/**
 * An account written straight into the database (verified unless told otherwise), so these
 * tests do not depend on the sign-up flow's own throttles. `password: null` is an OIDC-only one.
 */
export async function createAccount(
  h: AuthHarness,
  o: { verified?: boolean; password?: string | null; disabled?: boolean } = {},
): Promise<TestAccount> {
  accountCounter += 1;
  const tag = `${Date.now().toString(36)}${accountCounter.toString(36)}`;
  const username = `u${tag}`.slice(0, 30);
  const email = `Person.${tag}@Example.com`;
  const password = o.password === undefined ? `correct horse ${tag} battery` : o.password;
  const now = h.clock.now();
  const id = uuidv7();
  await h.app.database.db
    .insertInto('accounts')
    .values({
      id,
      email,
      email_canonical: email.toLowerCase(),
      email_verified_at: o.verified === false ? null : now,
      pending_email: null,
      username,
      username_normalized: normalizeUsername(username),
      username_skeleton: usernameSkeleton(username),
      password_hash: password === null ? null : await h.app.hasher.hash(password),
      totp_secret_enc: null,
      totp_enabled_at: null,
      totp_last_step: null,
      totp_pending_secret_enc: null,
      totp_pending_expires_at: null,
      tokens_valid_after: new Date(now.getTime() - 60_000),
      disabled_at: o.disabled ? now : null,
      disabled_by: null,
      last_login_at: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return { id, email, username, password: password ?? '' };
}

/** Logs in and expects tokens (no challenge). */
export async function signIn(
  client: Client<typeof AuthService>,
  account: TestAccount,
): Promise<TokenPair> {
  const response = await client.login({ identifier: account.email, password: account.password });
  assert.equal(response.result.case, 'tokens', 'expected tokens, got a challenge');
  return response.result.value as TokenPair;
}

/** Awaits a call that must fail with `code`, and returns the error for further checks. */
export async function rejects(call: Promise<unknown>, code: Code): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    const connectError = ConnectError.from(err);
    assert.equal(connectError.code, code, `expected code ${code}, got ${connectError.message}`);
    return connectError;
  }
  assert.fail(`expected the call to fail with code ${code}`);
}

/** The field paths named by an InvalidArgument's violations. */
export function violatedFields(err: ConnectError): string[] {
  return err
    .findDetails(ViolationsSchema)
    .flatMap((v) => v.violations)
    .map((v) => v.field?.elements.map((e) => e.fieldName).join('.') ?? '');
}

/** The account's audit trail, oldest first. */
export async function auditTrail(
  h: AuthHarness,
  accountId: string,
): Promise<{ type: string; details: Record<string, string> }[]> {
  return h.app.database.db
    .selectFrom('audit_events')
    .select(['type', 'details'])
    .where('account_id', '=', accountId)
    .orderBy('occurred_at')
    .orderBy('id')
    .execute();
}
