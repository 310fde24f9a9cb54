import crypto from 'node:crypto';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { MfaMethod } from '@kith/gen/kith/auth/v1/types_pb.js';
import type { MfaChallengeSchema } from '@kith/gen/kith/auth/v1/types_pb.js';
import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { randomSecret, sha256Hex } from '../crypto/secrets.js';
import type { AuthDatabase } from '../db/schema.js';
import { countChallengeAttempt, insertChallenge, markChallengeConsumed } from './mfa-store.js';
import type { MfaChallengeRow } from './mfa-store.js';
import type { Device } from '../sessions/sessions.js';

export type MfaChallengeInit = MessageInitShape<typeof MfaChallengeSchema>;
export type { MfaChallengeRow } from './mfa-store.js';

/** How a challenge may be answered; stored as text in `mfa_challenges.methods`. */
export type ChallengeMethod = 'totp' | 'recovery_code' | 'email_code';

export const CHALLENGE_TOKEN_PREFIX = 'kith_mfa_';
/** Wrong answers a challenge survives; the next call finds it gone and must log in again. */
export const MAX_CHALLENGE_ATTEMPTS = 5;

const METHOD_ENUM: Record<ChallengeMethod, MfaMethod> = {
  totp: MfaMethod.TOTP,
  recovery_code: MfaMethod.RECOVERY_CODE,
  email_code: MfaMethod.EMAIL_CODE,
};

/** Upper-case letters and digits without the look-alikes 0/O and 1/I: 32 symbols, 30 bits. */
export const EMAIL_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const EMAIL_CODE_LENGTH = 6;

export function generateEmailCode(): string {
  let code = '';
  for (let i = 0; i < EMAIL_CODE_LENGTH; i++) {
    code += EMAIL_CODE_ALPHABET[crypto.randomInt(EMAIL_CODE_ALPHABET.length)];
  }
  return code;
}

/**
 * Stores a challenge: only the hashes of its token and e-mailed code, and the device the login
 * came from (the session CompleteMfa starts is that device's). The token is an opaque secret,
 * not a JWT, so nothing but CompleteMfa accepts it.
 */
export async function createChallenge(
  trx: Kysely<AuthDatabase>,
  input: {
    accountId: string;
    methods: readonly ChallengeMethod[];
    emailCode?: string;
    device: Device;
    now: Date;
    ttlMs: number;
  },
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomSecret(CHALLENGE_TOKEN_PREFIX);
  const expiresAt = new Date(input.now.getTime() + input.ttlMs);
  await insertChallenge(trx, {
    id: uuidv7(),
    account_id: input.accountId,
    token_hash: sha256Hex(token),
    methods: [...input.methods],
    email_code_hash: input.emailCode === undefined ? null : sha256Hex(input.emailCode),
    created_at: input.now,
    expires_at: expiresAt,
    consumed_at: null,
    ip: input.device.ip,
    user_agent: input.device.userAgent,
    device_label: input.device.deviceLabel,
  });
  return { token, expiresAt };
}

export function challengeMessage(input: {
  token: string;
  methods: readonly ChallengeMethod[];
  expiresAt: Date;
  emailHint?: string;
}): MfaChallengeInit {
  return {
    challengeToken: input.token,
    methods: input.methods.map((m) => METHOD_ENUM[m]),
    expiresAt: timestampFromDate(input.expiresAt),
    emailHint: input.emailHint ?? '',
  };
}

/**
 * Counts one attempt on a live challenge and returns it, or undefined when the token is unknown,
 * expired, consumed or out of attempts. Run it in a transaction of its own: the attempt must
 * stay counted even when the answer turns out wrong.
 */
export async function claimChallengeAttempt(
  trx: Kysely<AuthDatabase>,
  token: string,
  now: Date,
): Promise<MfaChallengeRow | undefined> {
  return countChallengeAttempt(trx, sha256Hex(token), now, MAX_CHALLENGE_ATTEMPTS);
}

/** Marks the challenge used; false when a concurrent call got there first. */
export async function consumeChallenge(
  trx: Kysely<AuthDatabase>,
  challengeId: string,
  now: Date,
): Promise<boolean> {
  return markChallengeConsumed(trx, challengeId, now);
}

export function challengeDevice(challenge: MfaChallengeRow): Device {
  return { ip: challenge.ip, userAgent: challenge.user_agent, deviceLabel: challenge.device_label };
}
