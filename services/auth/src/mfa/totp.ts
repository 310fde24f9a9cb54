import { generateSecret, generateSync, generateURI, verifySync } from 'otplib';

/** RFC 6238 parameters every authenticator app supports: HMAC-SHA1, 6 digits, 30 s steps. */
const ALGORITHM = 'sha1';
const DIGITS = 6;
const PERIOD_SECONDS = 30;
/** Codes from one step before or after the current one are accepted (clock drift, typing). */
const DRIFT_STEPS = 1;
const SECRET_BYTES = 20;
const CODE_PATTERN = /^[0-9]{6}$/;

export type TotpVerification = { ok: true; step: number } | { ok: false };

export interface VerifyTotpInput {
  /** The account's base32 secret. */
  secret: string;
  /** What the user typed. */
  code: string;
  /** The time of the request; never read from the clock here so tests and callers agree. */
  at: Date;
  /** The step of the last code this account used, or null before the first use. */
  lastUsedStep: number | null;
}

/** A new shared secret: 20 random bytes (160 bits, RFC 4226's recommendation), base32. */
export function generateTotpSecret(): string {
  return generateSecret({ length: SECRET_BYTES });
}

/** The otpauth:// URI an authenticator app scans, e.g. `otpauth://totp/Kith:ana?secret=…`. */
export function totpUri(input: { secret: string; account: string; issuer: string }): string {
  return generateURI({
    strategy: 'totp',
    issuer: input.issuer,
    label: input.account,
    secret: input.secret,
    algorithm: ALGORITHM,
    digits: DIGITS,
    period: PERIOD_SECONDS,
  });
}

const epochSeconds = (at: Date) => Math.floor(at.getTime() / 1000);

/** The time step (RFC 6238 `T`) that contains `at`. */
export function totpStep(at: Date): number {
  return Math.floor(epochSeconds(at) / PERIOD_SECONDS);
}

/**
 * Checks a code against the steps around `at` and refuses any step at or before
 * `lastUsedStep`, so each code works once: the caller stores the returned `step` (atomically,
 * e.g. `update … set totp_last_step = $step where totp_last_step is null or totp_last_step <
 * $step`) and a replay, even within the same 30 s, fails.
 *
 * otplib v13 does the step loop itself: `epochTolerance` of one period checks exactly steps
 * current-1…current+1, `afterTimeStep` skips steps ≤ lastUsedStep, codes are compared with its
 * constant-time equality, and the matched `timeStep` is returned.
 */
export function verifyTotp(input: VerifyTotpInput): TotpVerification {
  const { secret, code, at, lastUsedStep } = input;
  // otplib throws on a malformed token; for a login form that is just a wrong code.
  if (!CODE_PATTERN.test(code)) return { ok: false };
  const latestStep = totpStep(at) + DRIFT_STEPS;
  // Every step in the window is already used (or the stored step is ahead of this clock):
  // nothing can match, and otplib rejects an `afterTimeStep` beyond its window with an error.
  if (lastUsedStep !== null && lastUsedStep >= latestStep) return { ok: false };
  const result = verifySync({
    strategy: 'totp',
    secret,
    token: code,
    algorithm: ALGORITHM,
    digits: DIGITS,
    period: PERIOD_SECONDS,
    epoch: epochSeconds(at),
    epochTolerance: DRIFT_STEPS * PERIOD_SECONDS,
    ...(lastUsedStep === null ? {} : { afterTimeStep: Math.max(0, lastUsedStep) }),
  });
  // The functional API's result type also covers HOTP, whose results carry no time step.
  if (!result.valid || !('timeStep' in result)) return { ok: false };
  return { ok: true, step: result.timeStep };
}

/** The code an authenticator shows at `at` (tests, and the RFC vectors with `digits: 8`). */
export function totpAt(secret: string, at: Date, digits: number = DIGITS): string {
  return generateSync({
    strategy: 'totp',
    secret,
    algorithm: ALGORITHM,
    digits,
    period: PERIOD_SECONDS,
    epoch: epochSeconds(at),
  });
}
