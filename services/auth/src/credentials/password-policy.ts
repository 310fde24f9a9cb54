import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import type { ZxcvbnResult } from '@zxcvbn-ts/core';
import * as commonPack from '@zxcvbn-ts/language-common';
import * as englishPack from '@zxcvbn-ts/language-en';

// ASVS 5.0 / NIST 800-63B: at least 8, allow at least 64; 128 matches the proto's max_len.
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;
// Shorter usernames or local parts ('bob') occur inside too many good passwords by chance.
const IDENTITY_MIN_LENGTH = 4;
/**
 * zxcvbn scores 0..4; 3 means "safely unguessable" (about 10^8 guesses or more, past what an
 * online attacker gets and costly offline against argon2id). Below it a password is refused.
 */
export const PASSWORD_MIN_SCORE = 3;

export type PasswordProblem =
  | { code: 'too_short'; minLength: number }
  | { code: 'too_long'; maxLength: number }
  /** The estimator's score (below PASSWORD_MIN_SCORE) and its advice, in English. */
  | { code: 'weak'; score: number; feedback: string }
  | { code: 'contains_identity'; field: 'username' | 'email' };

export interface PasswordContext {
  email: string;
  username: string;
}

export interface PasswordPolicy {
  /** The first problem with a password being set (registration, reset, change), or null. */
  check(password: string, context: PasswordContext): PasswordProblem | null;
}

/**
 * A strength estimator (zxcvbn-ts) with its common-password, name and English-word
 * dictionaries and keyboard patterns, plus the person's own username and address: it catches
 * variations such as `password123456` or `qwertyuiop123` that an exact list lets through.
 * The check is synchronous CPU work, so its cost is bounded: only the first 64 characters are
 * estimated (longer ones score high anyway), at most 5 l33t substitutions are tried, and
 * Levenshtein matching is off (each of those costs hundreds of milliseconds on a long input).
 */
function createEstimator(): ZxcvbnFactory {
  return new ZxcvbnFactory({
    dictionary: { ...commonPack.dictionary, ...englishPack.dictionary },
    graphs: commonPack.adjacencyGraphs,
    translations: englishPack.translations,
    maxLength: 64,
    l33tMaxSubstitutions: 5,
  });
}

/** The estimator's warning and suggestions as one sentence list for the field violation. */
function feedbackText(result: ZxcvbnResult): string {
  const parts = [result.feedback.warning, ...result.feedback.suggestions].filter(
    (part): part is string => typeof part === 'string' && part !== '',
  );
  return parts.length > 0 ? parts.join(' ') : 'Add more words that are less common.';
}

export function createPasswordPolicy(): PasswordPolicy {
  // The dictionaries are large: built on the first check rather than at import.
  let estimator: ZxcvbnFactory | undefined;

  function check(password: string, context: PasswordContext): PasswordProblem | null {
    // Code points, not UTF-16 units: an emoji is one character to the user typing it.
    const length = [...password].length;
    if (length < PASSWORD_MIN_LENGTH) return { code: 'too_short', minLength: PASSWORD_MIN_LENGTH };
    if (length > PASSWORD_MAX_LENGTH) return { code: 'too_long', maxLength: PASSWORD_MAX_LENGTH };

    const lowered = password.toLowerCase();
    if (containsIdentity(lowered, context.username)) {
      return { code: 'contains_identity', field: 'username' };
    }
    if (containsIdentity(lowered, localPart(context.email))) {
      return { code: 'contains_identity', field: 'email' };
    }

    estimator ??= createEstimator();
    const userInputs = [context.username, context.email, localPart(context.email)].filter(
      (input) => input !== '',
    );
    const result = estimator.check(password, userInputs);
    if (result.score < PASSWORD_MIN_SCORE) {
      return { code: 'weak', score: result.score, feedback: feedbackText(result) };
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

/** `createPasswordPolicy().check`, with the dictionaries built once on first use. */
export function checkNewPassword(
  password: string,
  context: PasswordContext,
): PasswordProblem | null {
  return defaultPolicy.check(password, context);
}
