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

export async function loadOrCreateEmbeddedSecrets(dataDir: string): Promise<EmbeddedSecrets> {
  const file = path.join(dataDir, 'secrets.json');
  try {
    const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<EmbeddedSecrets>;
    if (typeof parsed.pageTokenSecret === 'string' && parsed.pageTokenSecret.length >= 32) {
      return { pageTokenSecret: parsed.pageTokenSecret };
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secrets: EmbeddedSecrets = {
    pageTokenSecret: crypto.randomBytes(32).toString('base64url'),
  };
  await fs.mkdir(dataDir, { recursive: true });
  await fs.writeFile(file, JSON.stringify(secrets), { mode: 0o600 });
  return secrets;
}
