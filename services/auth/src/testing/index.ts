/** Test and bench utilities: the auth service on a loopback port, seeded users. */
export { manualClock, startAuthHarness, testHasherParams } from './harness.js';
export type { AuthHarness, ManualClock, SentMail } from './harness.js';
export { seedSignedInUser } from './accounts.js';
export { OWASP_ARGON2ID, createPasswordHasher } from '../credentials/index.js';
