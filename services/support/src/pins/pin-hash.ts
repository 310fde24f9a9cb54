import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number },
) => Promise<Buffer>;

/** scrypt at N = 2^14: a PIN has few digits, so each guess must cost the attacker real work. */
const PARAMS = { N: 16_384, r: 8, p: 1 };
const KEY_BYTES = 32;

/** `scrypt$<salt>$<hash>`, base64url. */
export async function hashPin(pin: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(pin, salt, KEY_BYTES, PARAMS);
  return `scrypt$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/** A hash no PIN matches, checked when none is set so every check costs the same. */
const NO_PIN = `scrypt$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(KEY_BYTES).toString('base64url')}`;

/** Whether `pin` matches `stored` (null: never), in the time a real check takes. */
export async function pinMatches(pin: string, stored: string | null): Promise<boolean> {
  const [, salt, hash] = (stored ?? NO_PIN).split('$');
  const expected = Buffer.from(hash ?? '', 'base64url');
  const actual = await scryptAsync(pin, Buffer.from(salt ?? '', 'base64url'), KEY_BYTES, PARAMS);
  return stored !== null && expected.length === actual.length && timingSafeEqual(expected, actual);
}
