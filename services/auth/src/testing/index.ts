/** Test and bench utilities: the auth service on a loopback port, seeded users, test clients. */
export { manualClock, startAuthHarness, testHasherParams } from './harness.js';
export type { AuthHarness, ManualClock, SentMail } from './harness.js';
export {
  TOTP_STEP_MS,
  enableTotp,
  seedTotp,
  seedUser,
  startSession,
  uniqueUser,
} from './accounts.js';
export type { SeedOptions, SessionTokens, TestAccount, TestUser, TotpFactor } from './accounts.js';
export { accountActionReversed, accountActioned, publishModerationEvent } from './moderation.js';
export type { EnforcementInit } from './moderation.js';
export {
  CONSENT,
  TEST_USER_AGENT,
  auditTrail,
  codeOf,
  deviceClient,
  deviceHeaders,
  freshIp,
  introspectApiKey,
  keptDevice,
  outboxPayloads,
  rejectionOf,
  rejectsWith,
  signIn,
  signInWithMailedCode,
  signedInClient,
  violatedFields,
  violations,
} from './support.js';
export type { DeviceOptions, KeptDevice } from './support.js';
export { OWASP_ARGON2ID, createPasswordHasher } from '../credentials/index.js';
