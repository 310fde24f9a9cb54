import crypto from 'node:crypto';

/** The path the download route is served on (see parts.ts). */
export const DOWNLOAD_PATH = '/exports/download';

/** How long a link from GetDataExport works; the archive itself lives longer (ARCHIVE_TTL_MS). */
export const DOWNLOAD_LINK_TTL_MS = 15 * 60_000;

export interface DownloadGrant {
  dataExportId: string;
  userId: string;
  /** Unix milliseconds after which the link is refused. */
  expiresAtMs: number;
}

function signatureOf(secret: Buffer, grant: DownloadGrant): Buffer {
  return crypto
    .createHmac('sha256', secret)
    .update(
      `kith.user.export-download\n${grant.dataExportId}\n${grant.userId}\n${grant.expiresAtMs}`,
    )
    .digest();
}

/** A link to one export's archive for its owner, valid until `expiresAtMs`. */
export function signDownloadLink(baseUrl: string, secret: Buffer, grant: DownloadGrant): string {
  const query = new URLSearchParams({
    id: grant.dataExportId,
    user: grant.userId,
    exp: String(grant.expiresAtMs),
    sig: signatureOf(secret, grant).toString('base64url'),
  });
  return `${baseUrl}${DOWNLOAD_PATH}?${query.toString()}`;
}

/**
 * The grant a link's query carries, when its signature is valid and it has not expired at
 * `now`; undefined otherwise (a tampered, truncated or stale link).
 */
export function verifyDownloadLink(
  secret: Buffer,
  query: URLSearchParams,
  now: Date,
): DownloadGrant | undefined {
  const dataExportId = query.get('id') ?? '';
  const userId = query.get('user') ?? '';
  const exp = query.get('exp') ?? '';
  const sig = query.get('sig') ?? '';
  if (!/^\d{1,16}$/.test(exp) || !dataExportId || !userId) return undefined;
  const grant = { dataExportId, userId, expiresAtMs: Number(exp) };
  const expected = signatureOf(secret, grant);
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
    return undefined;
  }
  return grant.expiresAtMs > now.getTime() ? grant : undefined;
}
