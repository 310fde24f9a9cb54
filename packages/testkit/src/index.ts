export { findService, requireService, servicesRequired } from './services.js';
export type { ServiceLookup, ServiceName } from './services.js';
export { createTestDatabase, createTestSchema, distributedEnv, uniqueName } from './schema.js';
export type { TestDatabase, TestSchema } from './schema.js';
export { freePort, waitFor } from './ports.js';
export {
  accessMatrix,
  accessRow,
  assertEveryIdMethodCovered,
  methodsTakingIds,
} from './access-matrix.js';
export type { AccessRow, Answer } from './access-matrix.js';
export {
  UPDATE_QUERY_SNAPSHOTS_ENV,
  checkQuerySnapshots,
  createQueryRecorder,
  renderQueries,
} from './query-snapshots.js';
export type { ParameterMask } from './query-snapshots.js';
export { manualClock } from './harness/manual-clock.js';
export type { ManualClock } from './harness/manual-clock.js';
export type { AuthHost, SeededAccount } from './harness/auth-host.js';
export { freshIp } from './harness/client-address.js';
export {
  codeOf,
  rejectionOf,
  rejectsWith,
  violatedFields,
  violations,
} from './harness/rpc-errors.js';
export { startServiceHarness } from './harness/service-harness.js';
export type { ServiceHarness } from './harness/service-harness.js';
