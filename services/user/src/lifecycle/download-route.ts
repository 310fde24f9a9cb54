import { withTables } from '@kith/db';
import { DataExportStatus } from '@kith/gen/kith/user/v1/types_pb.js';
import type { HttpHandler } from '@kith/runtime';
import type { Lifecycle } from './deps.js';
import { verifyDownloadLink } from './download-link.js';
import { lockExport, moveExports } from './lifecycle-store.js';
import type { LifecycleDb } from './lifecycle-store.js';
import { exportPrefix } from './participants.js';

type Outcome = { archive: Uint8Array; dataExportId: string } | { refused: 403 | 410 };

/**
 * Hands out the archive once: the export moves READY → DOWNLOADED in the transaction that
 * reads it, and its parts and archive are deleted once that commits. A second use of the link
 * (or of any other link to it) finds it DOWNLOADED.
 */
export async function takeArchive(lifecycle: Lifecycle, query: URLSearchParams): Promise<Outcome> {
  const { app, blobs, config } = lifecycle;
  const now = app.clock();
  const grant = config.linkSecret ? verifyDownloadLink(config.linkSecret, query, now) : undefined;
  if (!grant) return { refused: 403 };
  return app.database.transaction(async (trx): Promise<Outcome> => {
    const db = withTables<LifecycleDb>(trx);
    const row = await lockExport(db, grant.dataExportId);
    if (
      !row ||
      row.user_id !== grant.userId ||
      row.status !== DataExportStatus.READY ||
      !row.archive_key ||
      !row.expires_at ||
      row.expires_at <= now
    ) {
      return { refused: 410 };
    }
    const archive = await blobs.get(row.archive_key);
    if (!archive) return { refused: 410 };
    await moveExports(db, {
      from: DataExportStatus.READY,
      to: DataExportStatus.DOWNLOADED,
      ids: [row.id],
      stamp: 'downloaded_at',
      at: now,
    });
    trx.onCommit(() => blobs.deletePrefix(exportPrefix(row.id)));
    return { archive, dataExportId: row.id };
  });
}

/** `GET /exports/download?id&user&exp&sig`: the signed, single-use, short-lived link. */
export function downloadRoute(lifecycle: Lifecycle): HttpHandler {
  return async (req, res) => {
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    let outcome: Outcome;
    try {
      outcome = await takeArchive(lifecycle, query);
    } catch (err) {
      lifecycle.app.logger.error({ err }, 'data export download failed');
      res.writeHead(500, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
      res.end('internal error\n');
      return;
    }
    if ('refused' in outcome) {
      const text =
        outcome.refused === 403
          ? 'this link is invalid or has expired: ask for a new one with GetDataExport\n'
          : 'this archive was already downloaded or has expired\n';
      res.writeHead(outcome.refused, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
      res.end(text);
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/zip',
      'content-length': String(outcome.archive.length),
      'content-disposition': `attachment; filename="kith-export-${outcome.dataExportId}.zip"`,
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    });
    res.end(outcome.archive);
  };
}
