// Helpers for the auth service's tests (not shipped code paths): clients that speak from an
// address of their own, Connect error checks, and reads of what a call left behind.
import assert from 'node:assert/strict';
import type { Client } from '@connectrpc/connect';
import {
  API_KEY_INTROSPECT_SUBJECT,
  INTROSPECT_NONCE_HEADER,
  hashApiKey,
  verifyGrant,
} from '@kith/authn';
import type { ApiKeyGrant } from '@kith/authn';
import type { OutboxTables } from '@kith/bus';
import type { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import type { TokenPair } from '@kith/gen/kith/auth/v1/types_pb.js';
import { decodeEvent } from '@kith/runtime';
import { withTables } from '@kith/db';
import { freshIp } from '@kith/testkit';
import type { AuthHarness } from './harness.js';

export {
  codeOf,
  freshIp,
  rejectionOf,
  rejectsWith,
  violatedFields,
  violations,
} from '@kith/testkit';

/** The consent a sign-up gives: every box ticked, the current documents. */
export const CONSENT = {
  termsAccepted: true,
  privacyPolicyAccepted: true,
  minimumAgeConfirmed: true,
  documentsVersion: '2026-01',
};

/** The user agent of test clients and seeded sessions: one device unless a test says otherwise. */
export const TEST_USER_AGENT = 'kith-test/1.0';

/** Where a test client speaks from: an address (fresh unless given) and a user agent. */
export interface DeviceOptions {
  ip?: string;
  userAgent?: string;
}

export function deviceHeaders(o: DeviceOptions = {}): Record<string, string> {
  return { 'x-forwarded-for': o.ip ?? freshIp(), 'user-agent': o.userAgent ?? TEST_USER_AGENT };
}

/** An anonymous client of one device (address and user agent). */
export function deviceClient(h: AuthHarness, o: DeviceOptions = {}): Client<typeof AuthService> {
  return h.withHeaders(deviceHeaders(o)).auth;
}

/** A signed-in client (an access token) of one device. */
export function signedInClient(
  h: AuthHarness,
  accessToken: string,
  o: DeviceOptions = {},
): Client<typeof AuthService> {
  return h.as(accessToken, deviceHeaders(o)).auth;
}

/**
 * A password login that must end in tokens (not a challenge), from the device that holds
 * `deviceToken` when given (a seeded session's device is a known one).
 */
export async function signIn(
  client: Client<typeof AuthService>,
  credentials: { email: string; password: string; deviceToken?: string },
): Promise<TokenPair> {
  const response = await client.login({
    identifier: credentials.email,
    password: credentials.password,
    deviceToken: credentials.deviceToken ?? '',
  });
  assert.equal(response.result.case, 'tokens', 'expected tokens, got a challenge');
  return response.result.value as TokenPair;
}

/**
 * A password login from a device the account does not know (or no longer knows, after a
 * credential change): it must be answered with a mailed-code challenge, which is completed with
 * the code from the newest mail to the account's address.
 */
export async function signInWithMailedCode(
  h: AuthHarness,
  client: Client<typeof AuthService>,
  credentials: { email: string; password: string },
): Promise<TokenPair> {
  const response = await client.login({
    identifier: credentials.email,
    password: credentials.password,
  });
  assert.equal(response.result.case, 'mfaChallenge', 'expected a mailed-code challenge');
  const code = /^ {4}([A-Z0-9]{6})$/m.exec((await h.lastMailTo(credentials.email)).text)?.[1];
  assert.ok(code, 'the mail carries a 6-character code');
  const completion = await client.completeMfa({
    challengeToken: response.result.value.challengeToken,
    factor: { case: 'emailCode', value: code },
  });
  assert.ok(completion.tokens, 'the mailed code completes the login');
  return completion.tokens;
}

/** A client device that keeps the device credential its logins hand out, as a real app does. */
export interface KeptDevice {
  client: Client<typeof AuthService>;
  /** '' until a login ended in tokens. */
  deviceToken: string;
  /** A password login presenting the kept credential; keeps the one answered. */
  login(credentials: {
    email: string;
    password: string;
  }): ReturnType<Client<typeof AuthService>['login']>;
  /** As `login`, and it must end in tokens. */
  signIn(credentials: { email: string; password: string }): Promise<TokenPair>;
}

export function keptDevice(h: AuthHarness, o: DeviceOptions = {}): KeptDevice {
  const client = deviceClient(h, { ...o, ip: o.ip ?? freshIp() });
  const device: KeptDevice = {
    client,
    deviceToken: '',
    async login(credentials) {
      const response = await client.login({
        identifier: credentials.email,
        password: credentials.password,
        deviceToken: device.deviceToken,
      });
      if (response.result.case === 'tokens') device.deviceToken = response.deviceToken;
      return response;
    },
    async signIn(credentials) {
      const response = await device.login(credentials);
      assert.equal(response.result.case, 'tokens', 'expected tokens, got a challenge');
      return response.result.value as TokenPair;
    },
  };
  return device;
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

/** The payloads of every event in the auth outbox, oldest first. */
export async function outboxPayloads(h: AuthHarness) {
  const outbox = withTables<OutboxTables>(h.app.database.db);
  const rows = await outbox.selectFrom('outbox').select('data').orderBy('id').execute();
  return rows.map((r) => decodeEvent(r.data).payload);
}

/** What another service's verifier learns for an API key over the bus (null: no grant). */
export async function introspectApiKey(
  h: AuthHarness,
  secret: string,
): Promise<ApiKeyGrant | null> {
  const keyHash = hashApiKey(secret);
  const nonce = crypto.randomUUID();
  const reply = await h.app.bus.request(
    API_KEY_INTROSPECT_SUBJECT,
    new TextEncoder().encode(keyHash),
    { headers: { [INTROSPECT_NONCE_HEADER]: nonce } },
  );
  const grant = await verifyGrant(
    reply,
    { keyHash, nonce },
    h.app.keys.verificationKeys,
    h.clock.now(),
  );
  return grant as ApiKeyGrant | null;
}
