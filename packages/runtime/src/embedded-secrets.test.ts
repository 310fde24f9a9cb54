import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { loadOrCreateEmbeddedSecrets } from './embedded-secrets.js';

const modeOf = async (target: string) => (await fs.stat(target)).mode & 0o777;

describe('the embedded data directory', () => {
  const roots: string[] = [];
  afterAll(async () => {
    for (const root of roots) await fs.rm(root, { recursive: true, force: true });
  });
  const scratch = async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'kith-datadir-'));
    roots.push(root);
    return root;
  };

  it('is created readable by its owner only, with its secret file 0600', async () => {
    const dataDir = path.join(await scratch(), '.data');
    const first = await loadOrCreateEmbeddedSecrets(dataDir);
    assert.equal(await modeOf(dataDir), 0o700);
    assert.equal(await modeOf(path.join(dataDir, 'secrets.json')), 0o600);
    assert.deepEqual(await loadOrCreateEmbeddedSecrets(dataDir), first, 'kept across restarts');
  });

  it('is narrowed when an older version left it open to others', async () => {
    const dataDir = await scratch();
    await fs.chmod(dataDir, 0o755);
    await fs.writeFile(
      path.join(dataDir, 'secrets.json'),
      JSON.stringify({ pageTokenSecret: 'x'.repeat(43) }),
      { mode: 0o644 },
    );
    await fs.chmod(path.join(dataDir, 'secrets.json'), 0o644);
    const secrets = await loadOrCreateEmbeddedSecrets(dataDir);
    assert.equal(secrets.pageTokenSecret, 'x'.repeat(43));
    assert.equal(await modeOf(dataDir), 0o700);
    assert.equal(await modeOf(path.join(dataDir, 'secrets.json')), 0o600);
  });
});
