import { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';
import { DataExportStatus } from '@kith/gen/kith/user/v1/types_pb.js';
import type { ConsumerSpec } from '@kith/runtime';
import { decodeEvent } from '@kith/runtime';
import { withTables } from '@kith/db';
import type { Trx } from '@kith/db';
import type { Kysely } from 'kysely';
import type { UserDatabase } from '../db/schema.js';
import { exportPartConsumer } from '@kith/runtime';
import { assembleArchive, sha256Hex } from './archive.js';
import type { Lifecycle } from './deps.js';
import { ARCHIVE_TTL_MS, PART_DEADLINE_MS } from './deps.js';
import {
  exportsDue,
  insertExportPart,
  lockExport,
  markExportReady,
  moveExports,
  partsOf,
} from './lifecycle-store.js';
import type { DataExportRow, LifecycleDb } from './lifecycle-store.js';
import { notifyDataExportReady } from './notify.js';
import {
  ownBlocks,
  ownContact,
  ownDataExports,
  ownFollowRequests,
  ownFollowers,
  ownFollowing,
  ownMutes,
  ownProfile,
  ownSettings,
} from './own-data-store.js';
import {
  archiveObjectKey,
  exportPrefix,
  isUuid,
  partObjectKey,
  serviceSlug,
} from './participants.js';

/**
 * The user service's own data, one JSON document per category. Only the user's rows: the other
 * side of a follow, block or mute is an id. Categories the other areas add (notification
 * preferences, push devices without their tokens) join here when their tables land.
 */
async function ownData(db: Kysely<UserDatabase>, userId: string): Promise<Record<string, unknown>> {
  // One after the other: a transaction is one session.
  const profile = await ownProfile(db, userId);
  const settings = await ownSettings(db, userId);
  const contact = await ownContact(db, userId);
  const following = await ownFollowing(db, userId);
  const followers = await ownFollowers(db, userId);
  const followRequests = await ownFollowRequests(db, userId);
  const blocks = await ownBlocks(db, userId);
  const mutes = await ownMutes(db, userId);
  const exports = await ownDataExports(db, userId);
  return {
    profile: profile ?? null,
    settings: settings ?? null,
    contact: contact ?? null,
    following,
    followers,
    follow_requests: followRequests,
    blocks,
    mutes,
    data_exports: exports.map(({ archive_key: _key, ...rest }) => rest),
  };
}

/**
 * user.export_requested: the user service writes its own part like every other service
 * (data_events.proto step 2) and announces it with data.export_part_ready. A redelivery
 * rewrites the same object; the part announced first is the one kept.
 */
export function exportOwnPart(lifecycle: Lifecycle): ConsumerSpec<UserDatabase> {
  const { app, blobs } = lifecycle;
  return exportPartConsumer<UserDatabase>({
    durable: 'lifecycle-export-own-part',
    service: KithService.USER,
    blobs,
    clock: app.clock,
    emit: (trx, payload) => app.emit(trx, null, payload),
    dataOf: (trx, userId) => ownData(trx, userId),
  });
}

/**
 * Checks every part against what its service announced, nests them under `<service>/`, adds
 * the manifest, stores the archive and marks the export READY; a part that is missing,
 * altered or not a ZIP fails the export instead (the user may ask again at once).
 */
async function assemble(
  lifecycle: Lifecycle,
  trx: Trx<UserDatabase>,
  row: DataExportRow,
): Promise<void> {
  const { app, blobs } = lifecycle;
  const db = withTables<LifecycleDb>(trx);
  const now = app.clock();
  const parts = await partsOf(db, row.id);
  const loaded: { service: string; zip: Uint8Array }[] = [];
  for (const part of parts) {
    const zip = await blobs.get(part.object_key);
    if (!zip || zip.length !== Number(part.size_bytes) || sha256Hex(zip) !== part.sha256) {
      app.logger.warn(
        { dataExportId: row.id, service: serviceSlug(part.service) },
        'data export part missing or altered: export failed',
      );
      await failExports(lifecycle, trx, [row]);
      return;
    }
    loaded.push({ service: serviceSlug(part.service), zip });
  }
  let archive: Uint8Array;
  try {
    archive = assembleArchive({
      dataExportId: row.id,
      userId: row.user_id,
      generatedAt: now,
      parts: loaded,
    });
  } catch (err) {
    app.logger.warn({ dataExportId: row.id, err }, 'data export part unreadable: export failed');
    await failExports(lifecycle, trx, [row]);
    return;
  }
  const archiveKey = archiveObjectKey(row.id);
  await blobs.put(archiveKey, archive);
  await markExportReady(db, row.id, {
    status: DataExportStatus.READY,
    readyAt: now,
    expiresAt: new Date(now.getTime() + ARCHIVE_TTL_MS),
    sizeBytes: archive.length,
    archiveKey,
  });
  await notifyDataExportReady(app, trx, { userId: row.user_id, dataExportId: row.id });
  app.logger.info({ dataExportId: row.id, sizeBytes: archive.length }, 'data export ready');
}

/** Marks exports FAILED and deletes whatever parts and archive they had, once committed. */
async function failExports(
  lifecycle: Lifecycle,
  trx: Trx<UserDatabase>,
  rows: readonly DataExportRow[],
): Promise<void> {
  const moved = await moveExports(withTables<LifecycleDb>(trx), {
    from: DataExportStatus.ASSEMBLING,
    to: DataExportStatus.FAILED,
    ids: rows.map((r) => r.id),
    stamp: 'failed_at',
    at: lifecycle.app.clock(),
  });
  deleteBlobsOnCommit(lifecycle, trx, moved);
}

/** Deletes the exports' parts and archives once the status change is committed. */
function deleteBlobsOnCommit(
  lifecycle: Lifecycle,
  trx: Trx<UserDatabase>,
  rows: readonly DataExportRow[],
): void {
  if (rows.length === 0) return;
  trx.onCommit(async () => {
    for (const row of rows) await lifecycle.blobs.deletePrefix(exportPrefix(row.id));
  });
}

/**
 * data.export_part_ready from a participating service: keeps the first part per (export,
 * service) and assembles the archive once every participant's part is in. A part for an export
 * that is not ASSEMBLING (failed, already assembled) or of another user, from a service that
 * does not take part, or stored anywhere but where the saga says, is ignored.
 */
export function collectExportParts(lifecycle: Lifecycle): ConsumerSpec<UserDatabase> {
  const { app } = lifecycle;
  return {
    durable: 'lifecycle-export-parts',
    subjects: 'kith.events.data.export_part_ready',
    async handle(trx, message) {
      const { payload } = decodeEvent(message.data);
      if (payload.case !== 'dataExportPartReady') return;
      const part = payload.value;
      if (!isUuid(part.dataExportId) || !isUuid(part.userId)) return;
      const db = withTables<LifecycleDb>(trx);
      const row = await lockExport(db, part.dataExportId);
      if (!row || row.user_id !== part.userId || row.status !== DataExportStatus.ASSEMBLING) {
        return;
      }
      if (!lifecycle.participants.includes(part.service)) return;
      if (part.objectKey !== partObjectKey(part.dataExportId, part.service)) {
        app.logger.warn(
          { dataExportId: part.dataExportId, service: serviceSlug(part.service) },
          'data export part announced at an unexpected key: ignored',
        );
        return;
      }
      await insertExportPart(db, {
        data_export_id: part.dataExportId,
        service: part.service,
        user_id: part.userId,
        object_key: part.objectKey,
        sha256: part.sha256,
        size_bytes: Number(part.sizeBytes),
        received_at: app.clock(),
      });
      const parts = await partsOf(db, row.id);
      const have = new Set(parts.map((p) => p.service));
      if (lifecycle.participants.every((service) => have.has(service))) {
        await assemble(lifecycle, trx, row);
      }
    },
  };
}

/**
 * One sweep: exports still waiting for a part 24 h after the request fail; READY archives past
 * their expiry are deleted (EXPIRED). Returns how many exports changed.
 */
export async function sweepDataExports(lifecycle: Lifecycle): Promise<number> {
  const { app } = lifecycle;
  const now = app.clock();
  return app.database.transaction(async (trx) => {
    const db = withTables<LifecycleDb>(trx);
    const late = await exportsDue(db, {
      status: DataExportStatus.ASSEMBLING,
      column: 'requested_at',
      before: new Date(now.getTime() - PART_DEADLINE_MS),
      limit: 100,
    });
    await failExports(lifecycle, trx, late);
    const stale = await exportsDue(db, {
      status: DataExportStatus.READY,
      column: 'expires_at',
      before: now,
      limit: 100,
    });
    const expired = await moveExports(db, {
      from: DataExportStatus.READY,
      to: DataExportStatus.EXPIRED,
      ids: stale.map((r) => r.id),
      at: now,
    });
    deleteBlobsOnCommit(lifecycle, trx, expired);
    if (late.length > 0)
      app.logger.warn({ failed: late.length }, 'data exports failed: a part is missing');
    return late.length + expired.length;
  });
}
