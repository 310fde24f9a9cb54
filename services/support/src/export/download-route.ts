import type { HttpHandler } from '@kith/runtime';
import { readExportLink } from './export-links.js';
import { deleteExport, lockExport, markExportUsed } from './export-store.js';
import { exportFolder } from './exports.js';
import type { IncidentExports } from './exports.js';

type Outcome =
  | { file: Uint8Array; contentType: string; fileName: string }
  | { refused: 403 | 410; reason: string };

/**
 * Hands out an export's file once: the export is marked used in the transaction that reads it,
 * and its file and row are deleted once that commits (the sweeper deletes what a crash left).
 * A second use, or a use after the link expired, finds nothing to hand out.
 */
export async function takeExport(
  exports: IncidentExports,
  query: URLSearchParams,
): Promise<Outcome> {
  const { app, blobs, config } = exports;
  const now = app.clock();
  const link = config.linkSecret ? readExportLink(config.linkSecret, query, now) : undefined;
  if (!link) return { refused: 403, reason: 'this link is invalid' };
  if (link.expired) {
    return { refused: 410, reason: 'this link has expired: export the incident again' };
  }
  return app.database.transaction(async (trx): Promise<Outcome> => {
    const row = await lockExport(trx, link.grant.exportId);
    const file = row && !row.used_at && row.expires_at > now && (await blobs.get(row.object_key));
    if (!row || !file) {
      return { refused: 410, reason: 'this export was already downloaded or has expired' };
    }
    await markExportUsed(trx, row.id, now);
    trx.onCommit(async () => {
      await blobs.deletePrefix(exportFolder(row.id));
      await deleteExport(app.database.db, row.id);
    });
    return { file, contentType: row.content_type, fileName: row.file_name };
  });
}

/** `GET /support/exports/download?id&exp&sig`: the signed, single-use, short-lived link. */
export function exportDownloadRoute(exports: IncidentExports): HttpHandler {
  return async (req, res) => {
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    let outcome: Outcome;
    try {
      outcome = await takeExport(exports, query);
    } catch (err) {
      exports.app.logger.error({ err }, 'incident export download failed');
      res.writeHead(500, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
      res.end('internal error\n');
      return;
    }
    if ('refused' in outcome) {
      res.writeHead(outcome.refused, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
      res.end(`${outcome.reason}\n`);
      return;
    }
    res.writeHead(200, {
      'content-type': outcome.contentType,
      'content-length': String(outcome.file.length),
      'content-disposition': `attachment; filename="${outcome.fileName}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'referrer-policy': 'no-referrer',
    });
    res.end(outcome.file);
  };
}
