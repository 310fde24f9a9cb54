import type { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';
import type { UserApp } from '../app.js';
import type { BlobStorage } from './blob-storage.js';
import type { LifecycleConfig } from './lifecycle-config.js';

/**
 * What the lifecycle use cases run with: the service's app, the export bucket, the settings,
 * and the services the sagas wait for (DATA_PARTICIPANTS; tests add stand-ins).
 */
export interface Lifecycle {
  app: UserApp;
  blobs: BlobStorage;
  config: LifecycleConfig;
  participants: readonly KithService[];
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** One data export per 7 days (a FAILED one does not count). */
export const EXPORT_INTERVAL_MS = 7 * DAY;
/** A part missing this long after the request fails the export. */
export const PART_DEADLINE_MS = 24 * HOUR;
/** A READY archive is deleted (EXPIRED) this long after it was assembled. */
export const ARCHIVE_TTL_MS = 7 * DAY;
/**
 * The grace period of an account deletion. The contracts leave its length open; 30 days is
 * what the large platforms give (and what circle deletion uses, ADR 0012 C-3).
 */
export const DELETION_GRACE_MS = 30 * DAY;
/** While a service has not acknowledged an erasure, user.erased goes out again this often. */
export const ERASURE_REPUBLISH_MS = DAY;
/** An erasure still unacknowledged this long after user.erased alerts the operators. */
export const ERASURE_ALERT_AFTER_MS = 7 * DAY;
