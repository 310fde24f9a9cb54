import crypto from 'node:crypto';
import { hash as argon2Hash, parseOptions, verify as argon2Verify } from '@node-rs/argon2';
import type { Algorithm, Version } from '@node-rs/argon2';

/** The cost parameters of an argon2id hash, as they appear in its PHC string (m, t, p). */
export interface Argon2idParams {
  /** Memory in KiB (`m=`). */
  memoryCost: number;
  /** Passes over memory (`t=`). */
  timeCost: number;
  /** Lanes (`p=`). */
  parallelism: number;
}

/** OWASP Password Storage Cheat Sheet, argon2id: 19 MiB, 2 passes, 1 lane. */
export const OWASP_ARGON2ID: Readonly<Argon2idParams> = Object.freeze({
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
});

// The library declares these as ambient `const enum`s, whose runtime objects are empty: under
// isolatedModules (tsx, esbuild) `Algorithm.Argon2id` would be undefined, so use their values.
const ARGON2ID = 2 as Algorithm;
const VERSION_0X13 = 1 as Version;
// What `hash` produces with the library's defaults; a stored hash with less is rehashed too.
const OUTPUT_LEN = 32;
const MIN_SALT_LEN = 16;

export interface VerifyResult {
  ok: boolean;
  /** The stored hash was made with other parameters: store a fresh `hash` after a good login. */
  needsRehash: boolean;
}

export interface PasswordHasherOptions {
  /** Called each time an argon2 verification actually runs; lets tests see the dummy work. */
  onVerify?: (kind: 'account' | 'dummy') => void;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(encoded: string, password: string): Promise<VerifyResult>;
  /** Costs what `verify` costs, for a login whose account does not exist. Always false. */
  verifyDummy(password: string): Promise<false>;
}

export function createPasswordHasher(
  params: Argon2idParams = OWASP_ARGON2ID,
  options: PasswordHasherOptions = {},
): PasswordHasher {
  const hashOptions = { ...params, algorithm: ARGON2ID, version: VERSION_0X13 };
  // Passwords go to argon2 exactly as typed (UTF-8, no trim, no Unicode normalisation): what the
  // user typed at registration is what must match at login.
  const hash = (password: string): Promise<string> => argon2Hash(password, hashOptions);

  // Computed now, with the current parameters, so that the first unknown-account login does not
  // also pay for this hash and stand out. The secret behind it is thrown away: nothing matches.
  const dummyHash = hash(crypto.randomBytes(32).toString('base64url'));
  dummyHash.catch(() => {}); // surfaced by verifyDummy; not an unhandled rejection at startup

  function needsRehash(encoded: string): boolean {
    const stored = parseOptions(encoded);
    return (
      stored.algorithm !== ARGON2ID ||
      stored.version !== VERSION_0X13 ||
      stored.memoryCost !== params.memoryCost ||
      stored.timeCost !== params.timeCost ||
      stored.parallelism !== params.parallelism ||
      stored.outputLen !== OUTPUT_LEN ||
      stored.saltLen < MIN_SALT_LEN
    );
  }

  async function verifyDummy(password: string): Promise<false> {
    const encoded = await dummyHash;
    options.onVerify?.('dummy');
    await argon2Verify(encoded, password);
    return false;
  }

  async function verify(encoded: string, password: string): Promise<VerifyResult> {
    let rehash: boolean;
    try {
      rehash = needsRehash(encoded);
    } catch {
      // A stored value that is not a PHC string (corrupt row, foreign format): refuse the login
      // but spend the same time, so a broken account looks like any other wrong password.
      await verifyDummy(password);
      return { ok: false, needsRehash: true };
    }
    options.onVerify?.('account');
    const ok = await argon2Verify(encoded, password).catch(() => false);
    return { ok, needsRehash: rehash };
  }

  return { hash, verify, verifyDummy };
}
