import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { freePort, waitFor } from '@kith/testkit';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');

// What an image or a user copying dist/ gets: the bundle and the files beside it, no repository.
describe('the embedded bundle, copied out of the repository', () => {
  let dir: string;
  let child: ChildProcess;
  let url: string;
  let stderr = '';

  beforeAll(async () => {
    const build = spawnSync(process.execPath, ['scripts/build.mjs', 'embedded'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    assert.equal(build.status, 0, build.stderr);
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kith-bundle-'));
    await fs.cp(path.join(repoRoot, 'services/embedded/dist'), path.join(dir, 'kith'), {
      recursive: true,
    });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, ['kith/main.js'], {
      cwd: dir,
      env: { PATH: process.env.PATH, PORT: String(port), KITH_DATA_DIR: 'data', LOG_LEVEL: 'warn' },
    });
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  });

  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('starts to /readyz from the copy', async () => {
    await waitFor(
      async () => {
        assert.equal(child.exitCode, null, `the bundle exited: ${stderr}`);
        return (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200;
      },
      { timeoutMs: 90_000, intervalMs: 100, what: '/readyz from the copied bundle' },
    );
  });

  test('signs a user up from the copy: password strength, the argon2 addon and the mail beside it', async () => {
    const res = await fetch(`${url}/kith.auth.v1.AuthService/Register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email: 'ana@example.com',
        password: 'a sturdy passphrase 2026',
        username: 'ana',
        consent: {
          termsAccepted: true,
          privacyPolicyAccepted: true,
          minimumAgeConfirmed: true,
          documentsVersion: '2026-01',
        },
      }),
    });
    assert.deepEqual([res.status, await res.json()], [200, {}]);
    await waitFor(
      async () => (await fs.readdir(path.join(dir, 'data/mail')).catch(() => [])).length === 1,
      { timeoutMs: 30_000, what: 'the verification mail in the copy’s data dir' },
    );
  });
});
