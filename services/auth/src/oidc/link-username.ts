import { randomInt } from 'node:crypto';
import { checkUsername, USERNAME_MAX_LENGTH } from '../credentials/index.js';

// A username for an account created by an OIDC sign-up, where nobody typed one: derived from
// what the provider says, made valid, and made unique with a numeric suffix when taken.

/** The base when the provider offers nothing usable (or only a reserved name). */
export const FALLBACK_USERNAME = 'user';

/** Tries with base2 … base9 before falling back to random suffixes. */
const SEQUENTIAL_SUFFIXES = 8;
/** Random suffixes tried after that; a longer run means something else is wrong. */
const RANDOM_SUFFIXES = 12;

function trimTo(value: string, maxLength: number): string {
  return value.slice(0, maxLength).replace(/_+$/, '');
}

/**
 * `raw` as a valid username, or null when nothing valid is left: diacritics dropped, lowercase,
 * every run of other characters one underscore, no underscore at either end, at most 30.
 * An all-digit result reads as an id and is refused, like a reserved one.
 */
export function sanitiseUsername(raw: string): string | null {
  const folded = raw
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_+/, '');
  const candidate = trimTo(folded, USERNAME_MAX_LENGTH);
  return checkUsername(candidate) === null ? candidate : null;
}

/** The preferred username, else the e-mail's local part, else the fallback. */
export function usernameBase(hints: { preferredUsername?: string; email?: string }): string {
  const localPart = hints.email?.slice(0, Math.max(0, hints.email.lastIndexOf('@')));
  for (const raw of [hints.preferredUsername, localPart]) {
    if (raw === undefined || raw === '') continue;
    const sanitised = sanitiseUsername(raw);
    if (sanitised !== null) return sanitised;
  }
  return FALLBACK_USERNAME;
}

/** `base` shortened as needed so that `base + suffix` fits. */
export function withSuffix(base: string, suffix: string): string {
  return trimTo(base, USERNAME_MAX_LENGTH - suffix.length) + suffix;
}

/**
 * Candidates in the order to try them: the base itself, base2 … base9, then random 4-digit
 * suffixes. The fallback base goes straight to random suffixes: 'user2' is never free.
 * Every candidate passes checkUsername.
 */
export function* usernameCandidates(base: string): Generator<string> {
  const candidates: string[] = [];
  if (base !== FALLBACK_USERNAME) {
    candidates.push(base);
    for (let n = 2; n < 2 + SEQUENTIAL_SUFFIXES; n++) candidates.push(withSuffix(base, String(n)));
  }
  for (const candidate of candidates) {
    if (checkUsername(candidate) === null) yield candidate;
  }
  for (let i = 0; i < RANDOM_SUFFIXES; i++) {
    const candidate = withSuffix(base, String(randomInt(1000, 10_000)));
    if (checkUsername(candidate) === null) yield candidate;
  }
}
