import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { runNode as run } from './helpers.js';

/** Holds a port on 127.0.0.1 the way another program would. */
async function occupyPort(): Promise<{ port: number; release(): Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { port, release: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('a port that is already taken', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kith-port-taken-'));
  });
  afterAll(() => fs.rm(dataDir, { recursive: true, force: true }));

  test('embedded Kith says so in one line naming PORT and exits 1', async () => {
    const taken = await occupyPort();
    try {
      const result = await run(['--import', 'tsx', 'services/embedded/src/main.ts'], {
        PORT: String(taken.port),
        KITH_DATA_DIR: dataDir,
        LOG_LEVEL: 'silent',
      });
      assert.equal(result.code, 1);
      assert.equal(
        result.stderr,
        `kith: port ${taken.port} on 127.0.0.1 is already in use; set PORT to a free port (e.g. PORT=18080)\n`,
      );
    } finally {
      await taken.release();
    }
  });

  test('pnpm run distributed says so in one line naming KITH_BASE_PORT and exits 1', async () => {
    const taken = await occupyPort();
    try {
      // The third service's port is taken: every port is checked before anything starts.
      const result = await run(['scripts/distributed.mjs'], {
        KITH_BASE_PORT: String(taken.port - 2),
        KITH_DATA_DIR: dataDir,
      });
      assert.equal(result.code, 1);
      assert.equal(
        result.stderr,
        `kith: port ${taken.port} is already in use; set KITH_BASE_PORT to the first of 7 free ports (e.g. KITH_BASE_PORT=18081)\n`,
      );
    } finally {
      await taken.release();
    }
  });
});
