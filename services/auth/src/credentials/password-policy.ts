import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

// ASVS 5.0 / NIST 800-63B: at least 8, allow at least 64; 128 matches the proto's max_len.
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;
// Shorter usernames or local parts ('bob') occur inside too many good passwords by chance.
const IDENTITY_MIN_LENGTH = 4;

export type PasswordProblem =
  | { code: 'too_short'; minLength: number }
  | { code: 'too_long'; maxLength: number }
  | { code: 'common' }
  | { code: 'contains_identity'; field: 'username' | 'email' };

export interface PasswordContext {
  email: string;
  username: string;
}

/**
 * The list shipped with the service; see the header of the file for its source and licence.
 * Found from the source (src/credentials/), or beside a bundle (dist/main.js: the build copies
 * it there, so a bundle runs from a copy of its dist/ alone), or from the auth bundle's place.
 */
export const DEFAULT_COMMON_PASSWORDS_FILE = (() => {
  const candidates = [
    '../../data/common-passwords.txt',
    './common-passwords.txt',
    '../data/common-passwords.txt',
  ].map((relative) => fileURLToPath(new URL(relative, import.meta.url)));
  return candidates.find((file) => fs.existsSync(file)) ?? candidates[0]!;
})();

/** One lowercase password per line; lines starting with '#' are comments. */
export function parseCommonPasswords(text: string): Set<string> {
  const passwords = new Set<string>();
  for (const line of text.split('\n')) {
    const word = line.trimEnd();
    if (word !== '' && !word.startsWith('#')) passwords.add(word.toLowerCase());
  }
  return passwords;
}

/** Reads the list synchronously; a missing file throws, so the check never silently passes. */
export function loadCommonPasswords(file = DEFAULT_COMMON_PASSWORDS_FILE): Set<string> {
  return parseCommonPasswords(fs.readFileSync(file, 'utf8'));
}

export interface PasswordPolicy {
  /** The first problem with a password being set (registration, reset, change), or null. */
  check(password: string, context: PasswordContext): PasswordProblem | null;
}

export interface PasswordPolicyOptions {
  /** Where the list lives when the default path does not hold (e.g. a bundled build). */
  commonPasswordsFile?: string;
}

export function createPasswordPolicy(options: PasswordPolicyOptions = {}): PasswordPolicy {
  // ~49k entries: read on the first check rather than at import, then kept for the process.
  let common: Set<string> | undefined;

  function check(password: string, context: PasswordContext): PasswordProblem | null {
    // Code points, not UTF-16 units: an emoji is one character to the user typing it.
    const length = [...password].length;
    if (length < PASSWORD_MIN_LENGTH) return { code: 'too_short', minLength: PASSWORD_MIN_LENGTH };
    if (length > PASSWORD_MAX_LENGTH) return { code: 'too_long', maxLength: PASSWORD_MAX_LENGTH };

    const lowered = password.toLowerCase();
    common ??= loadCommonPasswords(options.commonPasswordsFile);
    if (common.has(lowered)) return { code: 'common' };

    if (containsIdentity(lowered, context.username)) {
      return { code: 'contains_identity', field: 'username' };
    }
    if (containsIdentity(lowered, localPart(context.email))) {
      return { code: 'contains_identity', field: 'email' };
    }
    return null;
  }

  return { check };
}

function localPart(email: string): string {
  const at = email.lastIndexOf('@');
  return at === -1 ? email : email.slice(0, at);
}

function containsIdentity(loweredPassword: string, identity: string): boolean {
  const value = identity.trim().toLowerCase();
  return [...value].length >= IDENTITY_MIN_LENGTH && loweredPassword.includes(value);
}

const defaultPolicy = createPasswordPolicy();

/** `createPasswordPolicy().check` over the shipped list, loaded once on first use. */
export function checkNewPassword(
  password: string,
  context: PasswordContext,
): PasswordProblem | null {
  return defaultPolicy.check(password, context);
}
