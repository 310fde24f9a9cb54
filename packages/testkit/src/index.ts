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
