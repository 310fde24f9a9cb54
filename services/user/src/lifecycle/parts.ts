import { createLogger } from '@kith/logging';
import { periodicDaemon } from '@kith/runtime';
import type { UserApp, UserAreaParts } from '../app.js';
import { filesystemBlobStorage } from './blob-storage.js';
import type { BlobStorage } from './blob-storage.js';
import type { Lifecycle } from './deps.js';
import { DOWNLOAD_PATH } from './download-link.js';
import { downloadRoute } from './download-route.js';
import { collectErasureAcks, runErasurePass } from './erasure-saga.js';
import { collectExportParts, exportOwnPart, sweepDataExports } from './export-saga.js';
import { lifecycleHandlers } from './handlers.js';
import { loadLifecycleConfig } from './lifecycle-config.js';
import { DATA_PARTICIPANTS } from './participants.js';
import type { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';

/** How often the erasure saga and the export sweeper look for work. */
export const LIFECYCLE_SWEEP_MS = 60_000;

/** What tests may change: the bucket, and stand-ins for services that do not exist yet. */
export interface LifecycleOverrides {
  blobs?: BlobStorage;
  /** The services the sagas wait for; DATA_PARTICIPANTS unless a test stands in for more. */
  participants?: readonly KithService[];
}

/** Builds the lifecycle area's collaborators (tests build it too, to drive the sagas). */
export function createLifecycle(app: UserApp, overrides: LifecycleOverrides = {}): Lifecycle {
  const config = loadLifecycleConfig(app.ctx);
  return {
    app,
    config,
    blobs: overrides.blobs ?? filesystemBlobStorage(config.exportDir),
    participants: overrides.participants ?? DATA_PARTICIPANTS,
  };
}

/**
 * The lifecycle area: RequestDataExport, GetDataExport, RequestAccountDeletion and
 * CancelAccountDeletion; the export saga (the user service's own part, collecting every
 * service's part, the archive, the signed single-use download link) and the erasure saga
 * (user.erased after the grace period, every service's acknowledgement).
 */
export function lifecycleParts(app: UserApp, overrides: LifecycleOverrides = {}): UserAreaParts {
  const lifecycle = createLifecycle(app, overrides);
  const logger = createLogger(app.logger, 'user:lifecycle');
  if (!lifecycle.config.linkSecret) {
    logger.error(
      'USER_EXPORT_LINK_SECRET is not set: data exports assemble but cannot be downloaded',
    );
  }
  return {
    user: lifecycleHandlers(lifecycle),
    consumers: [
      exportOwnPart(lifecycle),
      collectExportParts(lifecycle),
      collectErasureAcks(lifecycle),
    ],
    daemons: [
      periodicDaemon({
        name: 'user:erasure-saga',
        everyMs: LIFECYCLE_SWEEP_MS,
        async run() {
          await runErasurePass(lifecycle);
        },
        onError: (err) => logger.error({ err }, 'erasure saga pass failed'),
      }),
      periodicDaemon({
        name: 'user:data-export-sweeper',
        everyMs: LIFECYCLE_SWEEP_MS,
        async run() {
          await sweepDataExports(lifecycle);
        },
        onError: (err) => logger.error({ err }, 'data export sweep failed'),
      }),
    ],
    http: { [`GET ${DOWNLOAD_PATH}`]: downloadRoute(lifecycle) },
  };
}
