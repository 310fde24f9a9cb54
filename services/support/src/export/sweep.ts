import { deleteExport, finishedExports } from './export-store.js';
import { exportFolder } from './exports.js';
import type { IncidentExports } from './exports.js';

/** How often files past their link (or left behind after a download) are deleted. */
export const EXPORT_SWEEP_EVERY_MS = 60_000;

const BATCH = 200;

/**
 * Deletes the files of exports whose link expired or was used, then their rows; returns how
 * many went. A file is deleted before its row, so a crash in between leaves a row to retry.
 */
export async function sweepExports(exports: IncidentExports): Promise<number> {
  const { app, blobs } = exports;
  const db = app.database.db;
  let swept = 0;
  for (;;) {
    const rows = await finishedExports(db, app.clock(), BATCH);
    for (const row of rows) {
      await blobs.deletePrefix(exportFolder(row.id));
      await deleteExport(db, row.id);
    }
    swept += rows.length;
    if (rows.length < BATCH) return swept;
  }
}
