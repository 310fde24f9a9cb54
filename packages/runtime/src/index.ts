export { defineService, implement } from './module.js';
export { rpc } from './rpc-name.js';
export { callerOf, requestMeta, signedInCaller, staffCaller } from './caller.js';
export type { Caller, RequestMeta, SignedInCaller } from './caller.js';
export { defineAccess } from './access.js';
export type { Access, AccessCheck, AccessTable } from './access.js';
export type {
  Clock,
  ConsumedMessage,
  ConsumerSpec,
  Daemon,
  HttpHandler,
  ServiceContext,
  ServiceModule,
  ServiceName,
  ServiceParts,
  UpgradeHandler,
} from './module.js';
export {
  decodeEvent,
  eventType,
  recordEvent,
  recordEvents,
  serviceEvents,
  EVENT_SCHEMA_VERSION,
} from './events.js';
export type { ServiceEvent } from './events.js';
export { circleMemberships } from './circle-memberships.js';
export type { CircleMemberships } from './circle-memberships.js';
export {
  applyProfileSnapshot,
  createProfilesTable,
  profileSummaries,
  profileSummary,
  profilesFromUserEvents,
} from './profile-store.js';
export type { ProfilesTable } from './profile-store.js';
export type { EventPayload, NewEvent } from './events.js';
export { migrationsFor } from './migrations.js';
export { periodicDaemon } from './periodic-daemon.js';
export { startHost } from './host.js';
export type { HostOptions, RunningHost } from './host.js';
export { migrateDistributed, runServiceCli, startDistributed, startEmbedded } from './process.js';
export type { RunningKith, StartOptions } from './process.js';
export { buildEmbeddedSeed } from './embedded-seed.js';
export { exitIfPortInUse } from './start-failure.js';
export { stopOnSignals } from './signals.js';
export {
  internalClient,
  internalServiceDaemon,
  internalSubject,
  serveInternal,
} from './internal-rpc.js';
export type { InternalClient, InternalClientOptions, InternalImpl } from './internal-rpc.js';
export { checkContentFailOpen, holdMedia, releaseMedia } from './content-guards.js';
export type { MediaHold } from './content-guards.js';
export {
  assertBlobKey,
  exportBucketDir,
  filesystemBlobStorage,
  partObjectKey,
  serviceSlug,
  sha256Hex,
  writeExportPart,
  zipJsonFiles,
} from './export-bucket.js';
export type { BlobStorage } from './export-bucket.js';
export { exportPartConsumer } from './export-part.js';
export { accountEnforcementOf } from './account-enforcement.js';
export type { AccountEnforcement } from './account-enforcement.js';
