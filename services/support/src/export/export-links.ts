import crypto from 'node:crypto';

/** The path the download route is served on (export-parts.ts). */
export const EXPORT_DOWNLOAD_PATH = '/support/exports/download';

/** How long an export's link works; the file is deleted then if it was not downloaded. */
export const EXPORT_LINK_TTL_MS = 15 * 60_000;

export interface ExportGrant {
  exportId: string;
  /** Unix milliseconds after which the link is refused. */
  expiresAtMs: number;
}

function signatureOf(secret: Buffer, grant: ExportGrant): Buffer {
  return crypto
    .createHmac('sha256', secret)
    .update(`kith.support.incident-export\n${grant.exportId}\n${grant.expiresAtMs}`)
    .digest();
}

/** The link to one export's file, valid until `expiresAtMs`. */
export function signExportLink(baseUrl: string, secret: Buffer, grant: ExportGrant): string {
  const query = new URLSearchParams({
    id: grant.exportId,
    exp: String(grant.expiresAtMs),
    sig: signatureOf(secret, grant).toString('base64url'),
  });
  return `${baseUrl}${EXPORT_DOWNLOAD_PATH}?${query.toString()}`;
}

/**
 * What a link's query says, when its signature is valid: the export and whether the link has
 * expired at `now`. Undefined for a tampered or truncated link.
 */
export function readExportLink(
  secret: Buffer,
  query: URLSearchParams,
  now: Date,
): { grant: ExportGrant; expired: boolean } | undefined {
  const exportId = query.get('id') ?? '';
  const exp = query.get('exp') ?? '';
  const sig = query.get('sig') ?? '';
  if (!/^[0-9a-f-]{36}$/.test(exportId) || !/^\d{1,16}$/.test(exp)) return undefined;
  const grant = { exportId, expiresAtMs: Number(exp) };
  const expected = signatureOf(secret, grant);
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
    return undefined;
  }
  return { grant, expired: grant.expiresAtMs <= now.getTime() };
}
