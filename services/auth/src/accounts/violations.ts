import type { FieldViolation } from '@kith/errors';
import { InvalidArgumentError } from '@kith/errors';
import {
  canonicalEmail,
  checkNewPassword,
  checkUsername,
  InvalidEmailError,
  normalizeUsername,
  usernameSkeleton,
} from '../credentials/index.js';
import type { PasswordProblem, UsernameProblem } from '../credentials/index.js';

/** What a client shows next to the password field; one message per problem. */
export function passwordViolation(problem: PasswordProblem, field: string): FieldViolation {
  switch (problem.code) {
    case 'too_short':
      return { field, message: `must be at least ${problem.minLength} characters` };
    case 'too_long':
      return { field, message: `must be at most ${problem.maxLength} characters` };
    case 'weak':
      return { field, message: `is too easy to guess. ${problem.feedback}` };
    case 'contains_identity':
      return {
        field,
        message:
          problem.field === 'username'
            ? 'must not contain your username'
            : 'must not contain your e-mail address',
      };
  }
}

export function usernameViolation(problem: UsernameProblem, field = 'username'): FieldViolation {
  return { field, message: usernameMessage(problem) };
}

function usernameMessage(problem: UsernameProblem): string {
  switch (problem.code) {
    case 'too_short':
      return `must be at least ${problem.minLength} characters`;
    case 'too_long':
      return `must be at most ${problem.maxLength} characters`;
    case 'invalid_characters':
      return 'may contain only letters, digits and underscores';
    case 'all_digits':
      return 'must contain a letter';
    case 'all_underscores':
      return 'must contain a letter or a digit';
    case 'leading_underscore':
      return 'must not start with an underscore';
    case 'trailing_underscore':
      return 'must not end with an underscore';
    case 'double_underscore':
      return 'must not contain two underscores in a row';
    case 'reserved':
      return 'is reserved';
  }
}

/** The canonical form of an address, or the violation to report on `field`. */
export function parseEmail(
  raw: string,
  field: string,
): { ok: true; canonical: string } | { ok: false; violation: FieldViolation } {
  try {
    return { ok: true, canonical: canonicalEmail(raw) };
  } catch (err) {
    if (!(err instanceof InvalidEmailError)) throw err;
    return { ok: false, violation: { field, message: 'not a valid e-mail address' } };
  }
}

/** Like parseEmail, throwing InvalidArgument on `field` for an address that cannot be used. */
export function requireCanonicalEmail(raw: string, field: string): string {
  const parsed = parseEmail(raw, field);
  if (!parsed.ok) throw new InvalidArgumentError([parsed.violation], 'invalid e-mail address');
  return parsed.canonical;
}

/** Throws InvalidArgument on `field` when the password may not be set for this account. */
export function requireAcceptablePassword(
  password: string,
  context: { email: string; username: string },
  field: string,
): void {
  const problem = checkNewPassword(password, context);
  if (problem) throw new InvalidArgumentError([passwordViolation(problem, field)]);
}

export interface Registration {
  /** As typed, trimmed: where mail goes. */
  email: string;
  emailCanonical: string;
  username: string;
  usernameNormalized: string;
  usernameSkeleton: string;
}

/**
 * Every problem with a sign-up's e-mail, username and password at once (so a form can show them
 * together), or the normalised forms to store.
 */
export function validateRegistration(input: {
  email: string;
  username: string;
  password: string;
}): Registration {
  const violations: FieldViolation[] = [];
  const email = input.email.trim();
  const parsed = parseEmail(email, 'email');
  if (!parsed.ok) violations.push(parsed.violation);
  const usernameProblem = checkUsername(input.username);
  if (usernameProblem) violations.push(usernameViolation(usernameProblem));
  const passwordProblem = checkNewPassword(input.password, { email, username: input.username });
  if (passwordProblem) violations.push(passwordViolation(passwordProblem, 'password'));
  if (!parsed.ok || violations.length > 0) throw new InvalidArgumentError(violations);
  return {
    email,
    emailCanonical: parsed.canonical,
    username: input.username,
    usernameNormalized: normalizeUsername(input.username),
    usernameSkeleton: usernameSkeleton(input.username),
  };
}
