import crypto from 'node:crypto';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { FailedPreconditionError, NotFoundError } from '@kith/errors';
import { DataExportStatus } from '@kith/gen/kith/user/v1/types_pb.js';
import type { DataExportSchema } from '@kith/gen/kith/user/v1/types_pb.js';
import type { SignedInCaller } from '@kith/runtime';
import { withTables } from '@kith/db';
import type { Lifecycle } from './deps.js';
import { DOWNLOAD_LINK_TTL_MS, signDownloadLink } from './download-link.js';
import { EXPORT_INTERVAL_MS } from './deps.js';
import {
  exportOf,
  insertDataExport,
  latestCountingExport,
  lockExportsOf,
} from './lifecycle-store.js';
import type { DataExportRow, LifecycleDb } from './lifecycle-store.js';

type DataExportInit = MessageInitShape<typeof DataExportSchema>;

function nextAllowedAt(latest: DataExportRow | undefined): Date | undefined {
  return latest ? new Date(latest.requested_at.getTime() + EXPORT_INTERVAL_MS) : undefined;
}

/** What the API shows of an export; a link only while READY (and never past the archive). */
function toDataExport(
  lifecycle: Lifecycle,
  row: DataExportRow,
  latest: DataExportRow | undefined,
  now: Date,
): DataExportInit {
  const expired =
    row.status === DataExportStatus.READY && row.expires_at !== null && row.expires_at <= now;
  const status = expired ? DataExportStatus.EXPIRED : row.status;
  const next = nextAllowedAt(latest);
  let downloadUrl = '';
  const secret = lifecycle.config.linkSecret;
  if (status === DataExportStatus.READY && row.expires_at && secret) {
    const expiresAtMs = Math.min(now.getTime() + DOWNLOAD_LINK_TTL_MS, row.expires_at.getTime());
    downloadUrl = signDownloadLink(lifecycle.config.linkBaseUrl, secret, {
      dataExportId: row.id,
      userId: row.user_id,
      expiresAtMs,
    });
  }
  return {
    dataExportId: row.id,
    status,
    requestedAt: timestampFromDate(row.requested_at),
    readyAt: row.ready_at ? timestampFromDate(row.ready_at) : undefined,
    expiresAt: row.expires_at ? timestampFromDate(row.expires_at) : undefined,
    downloadUrl,
    sizeBytes: BigInt(row.size_bytes),
    nextRequestAllowedAt: next && next > now ? timestampFromDate(next) : timestampFromDate(now),
  };
}

/**
 * Starts the export saga (data_events.proto): records the export as ASSEMBLING and publishes
 * user.export_requested in the same transaction. One per 7 days; a FAILED export does not
 * count. Requests of one user are serialised, so two at once cannot both pass the check.
 */
export async function requestDataExport(
  lifecycle: Lifecycle,
  caller: SignedInCaller,
): Promise<DataExportInit> {
  const { app } = lifecycle;
  const userId = caller.principal.userId;
  const now = caller.now;
  return app.database.transaction(async (trx) => {
    const db = withTables<LifecycleDb>(trx);
    await lockExportsOf(db, userId);
    const latest = await latestCountingExport(db, userId, DataExportStatus.FAILED);
    const next = nextAllowedAt(latest);
    if (next && next > now) {
      throw new FailedPreconditionError(
        `one data export per 7 days: the next may be requested at ${next.toISOString()}`,
      );
    }
    const row = await insertDataExport(db, {
      id: crypto.randomUUID(),
      userId,
      status: DataExportStatus.ASSEMBLING,
      requestedAt: now,
    });
    await app.emit(trx, userId, {
      case: 'userExportRequested',
      value: { userId, dataExportId: row.id },
    });
    return toDataExport(lifecycle, row, row, now);
  });
}

/** One of the caller's exports; NotFound for an unknown id and for anyone else's alike. */
export async function getDataExport(
  lifecycle: Lifecycle,
  caller: SignedInCaller,
  input: { dataExportId: string },
): Promise<DataExportInit> {
  const userId = caller.principal.userId;
  return lifecycle.app.database.transaction(async (trx) => {
    const db = withTables<LifecycleDb>(trx);
    const row = await exportOf(db, userId, input.dataExportId);
    if (!row) throw new NotFoundError('data export not found');
    const latest = await latestCountingExport(db, userId, DataExportStatus.FAILED);
    return toDataExport(lifecycle, row, latest, caller.now);
  });
}
