import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Embedded mode needs secrets a newcomer should not have to invent. They are generated once
 * per data directory and kept in a file only the owner can read, so restarts keep page tokens
 * (and later, signing keys) valid.
 */
export interface EmbeddedSecrets {
  pageTokenSecret: string;
}

/**
 * The data directory holds the database, the generated secret and mail with live links: only
 * its owner may enter it. Created 0700; one left wider by an older version is narrowed.
 */
async function ensurePrivate(target: string, mode: number): Promise<void> {
  const stat = await fs.stat(target);
  if ((stat.mode & 0o777) !== mode) await fs.chmod(target, mode);
}

export async function loadOrCreateEmbeddedSecrets(dataDir: string): Promise<EmbeddedSecrets> {
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  await ensurePrivate(dataDir, 0o700);
  const file = path.join(dataDir, 'secrets.json');
  try {
    const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<EmbeddedSecrets>;
    if (typeof parsed.pageTokenSecret === 'string' && parsed.pageTokenSecret.length >= 32) {
      await ensurePrivate(file, 0o600);
      return { pageTokenSecret: parsed.pageTokenSecret };
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secrets: EmbeddedSecrets = {
    pageTokenSecret: crypto.randomBytes(32).toString('base64url'),
  };
  await fs.writeFile(file, JSON.stringify(secrets), { mode: 0o600 });
  await ensurePrivate(file, 0o600);
  return secrets;
}
