import { ExportFormat } from '@kith/gen/kith/support/v1/support_pb.js';
import type { ExportIncidentRequest } from '@kith/gen/kith/support/v1/support_pb.js';
import {
  InvalidArgumentError,
  PermissionDeniedError,
  ResourceExhaustedError,
  UnavailableError,
} from '@kith/errors';
import { sha256Hex } from '@kith/runtime';
import type { SignedInCaller } from '@kith/runtime';
import { uuidv7 } from 'uuidv7';
import { accessIncident } from '../incidents/access.js';
import { openFor } from '../incidents/incident-view.js';
import { recordChange } from '../incidents/record.js';
import { exportJson, ownerExportDocument } from './export-document.js';
import { EXPORT_LINK_TTL_MS, signExportLink } from './export-links.js';
import { exportPdf } from './export-pdf.js';
import { countWaitingExports, insertExport } from './export-store.js';
import { exportFolder } from './exports.js';
import type { IncidentExports } from './exports.js';

/** Exports of one owner waiting for their download at once; more answer ResourceExhausted. */
export const MAX_WAITING_EXPORTS = 10;

export interface ExportLink {
  downloadUrl: string;
  expiresAt: Date;
  sha256: string;
}

const FILE_KINDS = {
  [ExportFormat.JSON]: { extension: 'json', contentType: 'application/json' },
  [ExportFormat.PDF]: { extension: 'pdf', contentType: 'application/pdf' },
} as const;

/**
 * ExportIncident: the owner's record of an incident (what their reads answer), as JSON or PDF,
 * behind a signed link that works once and for EXPORT_LINK_TTL_MS. Responders get
 * PermissionDenied, everyone else NotFound.
 *
 * While the owner's view is open the export is recorded on the timeline (IncidentExported) and
 * the file includes that entry. Once it closed (resolve, cancel, or a duress cancel) nothing is
 * recorded: the owner's reads are frozen at the close, and an entry only responders could see
 * would set a duress cancel apart from a real one for them for no one's benefit. So after a
 * duress cancel the owner's export is the very file a real cancel would give.
 */
export async function exportIncident(
  exports: IncidentExports,
  caller: SignedInCaller,
  req: Pick<ExportIncidentRequest, 'incidentId' | 'format'>,
): Promise<ExportLink> {
  const { app, config, blobs } = exports;
  const db = app.database.db;
  const userId = caller.principal.userId;
  const now = caller.now;
  const first = await accessIncident(db, req.incidentId, userId);
  if (first.viewer !== 'owner') {
    throw new PermissionDeniedError('only the owner can export an incident');
  }
  const kind = FILE_KINDS[req.format as keyof typeof FILE_KINDS];
  if (!kind) throw new InvalidArgumentError([{ field: 'format', message: 'unknown format' }]);
  const secret = config.linkSecret;
  if (!secret) throw new UnavailableError('incident exports are not configured on this server');
  if ((await countWaitingExports(db, userId, now)) >= MAX_WAITING_EXPORTS) {
    throw new ResourceExhaustedError({
      message: 'too many exports wait for their download: use their links or let them expire',
      retryAfterMs: EXPORT_LINK_TTL_MS,
    });
  }

  const doc = await app.database.transaction(async (trx) => {
    const { row } = await accessIncident(trx, req.incidentId, userId, true);
    const current = openFor(row, 'owner')
      ? await recordChange(trx, row, now, [
          { event: { case: 'exported', value: { exportedByUserId: userId } }, actorId: userId },
        ])
      : row;
    return ownerExportDocument(trx, current, now);
  });

  const file = req.format === ExportFormat.PDF ? await exportPdf(doc) : exportJson(doc);
  const exportId = uuidv7();
  const objectKey = `${exportFolder(exportId)}incident-${req.incidentId}.${kind.extension}`;
  const expiresAt = new Date(now.getTime() + EXPORT_LINK_TTL_MS);
  const sha256 = sha256Hex(file);
  await blobs.put(objectKey, file);
  try {
    await insertExport(db, {
      id: exportId,
      incident_id: req.incidentId,
      owner_id: userId,
      object_key: objectKey,
      content_type: kind.contentType,
      file_name: `kith-incident-${req.incidentId}.${kind.extension}`,
      sha256,
      size_bytes: file.length,
      created_at: now,
      expires_at: expiresAt,
      used_at: null,
    });
  } catch (err) {
    await blobs.deletePrefix(exportFolder(exportId));
    throw err;
  }
  return {
    downloadUrl: signExportLink(config.linkBaseUrl, secret, {
      exportId,
      expiresAtMs: expiresAt.getTime(),
    }),
    expiresAt,
    sha256,
  };
}
