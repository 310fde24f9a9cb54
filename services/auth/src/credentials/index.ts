export { canonicalEmail, emailDomain, InvalidEmailError, maskEmail } from './email.js';
export type { InvalidEmailReason } from './email.js';
export { createPasswordHasher, OWASP_ARGON2ID } from './password-hasher.js';
export type {
  Argon2idParams,
  PasswordHasher,
  PasswordHasherOptions,
  VerifyResult,
} from './password-hasher.js';
export {
  checkNewPassword,
  createPasswordPolicy,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  PASSWORD_MIN_SCORE,
} from './password-policy.js';
export type { PasswordContext, PasswordPolicy, PasswordProblem } from './password-policy.js';
export {
  checkUsername,
  normalizeUsername,
  USERNAME_MAX_LENGTH,
  USERNAME_MIN_LENGTH,
  usernameSkeleton,
} from './username.js';
export type { UsernameProblem } from './username.js';
