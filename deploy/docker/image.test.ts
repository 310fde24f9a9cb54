import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import {
  createTestDatabase,
  distributedEnv,
  freePort,
  requireService,
  waitFor,
} from '@kith/testkit';
import type { TestDatabase } from '@kith/testkit';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const dockerfile = fs.readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');

const databaseUrl = await requireService('postgres');
const natsUrl = await requireService('nats');
const redisUrl = await requireService('redis');
const skip =
  !databaseUrl || !natsUrl || !redisUrl ? 'Postgres, NATS and Redis are required' : false;

/** Instructions of each stage, without comments and with continuation lines joined. */
function stages(text: string): string[][] {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const result: string[][] = [];
  for (const line of lines) {
    if (/^FROM /i.test(line)) result.push([]);
    result.at(-1)?.push(line);
  }
  return result;
}

/** Node's permission model: reads only below `dir`, no writes anywhere, no child processes. */
function readOnlyNodeFlags(dir: string): string[] {
  const major = Number(process.versions.node.split('.')[0]);
  return [major >= 22 ? '--permission' : '--experimental-permission', `--allow-fs-read=${dir}/`];
}

describe('the Dockerfile', () => {
  const [build, runtime] = stages(dockerfile);

  test('builds in one stage and runs the bundles from `pnpm build` in another, as a non-root user', () => {
    assert.ok(build && runtime, 'two stages');
    assert.ok(build.some((l) => /pnpm build/.test(l)));
    assert.ok(build.some((l) => /node scripts\/image-files\.mjs \/out/.test(l)));
    // Only the assembled files reach the runtime stage: no sources, no node_modules.
    const copies = runtime.filter((l) => /^COPY /i.test(l));
    assert.deepEqual(copies, ['COPY --from=build /out/ /app/']);
    assert.ok(!runtime.some((l) => /pnpm|npm (ci|install)/.test(l)), 'no installs at runtime');
    const user = runtime.find((l) => /^USER /i.test(l));
    assert.match(user ?? '', /^USER [1-9]\d*:[1-9]\d*$/);
    assert.ok(runtime.includes('ENTRYPOINT ["node", "/app/kith.mjs"]'));
  });

  test('.dockerignore keeps installed and built trees out of the build context', () => {
    const ignored = fs.readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['**/node_modules', '**/dist', '.data', '.git']) {
      assert.ok(ignored.includes(entry), entry);
    }
  });
});

describe.skipIf(skip)('the runtime stage files', () => {
  let database: TestDatabase;
  let appDir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const built = spawnSync(process.execPath, ['scripts/build.mjs', 'circle'], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    assert.equal(built.status, 0, 'pnpm build (circle) failed');
    appDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kith-image-')), 'app');
    const assembled = spawnSync(process.execPath, ['scripts/image-files.mjs', appDir, 'circle'], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    assert.equal(assembled.status, 0, 'image-files failed');
    database = await createTestDatabase(databaseUrl as string, 'kith_image');
    // Only what the chart sets: no NODE_OPTIONS, no tsx, nothing from this repository.
    env = {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      ...distributedEnv(database, { natsUrl: natsUrl!, redisUrl: redisUrl! }),
      HOST: '127.0.0.1',
      AUTH_JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json',
      SHUTDOWN_GRACE: '5s',
      SHUTDOWN_DRAIN_DELAY: '0s',
    };
  });

  afterAll(async () => {
    fs.rmSync(path.dirname(appDir), { recursive: true, force: true });
    await database?.drop();
  });

  test('hold the entry point and bundles only: no sources, no node_modules, no source maps', () => {
    const files = fs.readdirSync(appDir, { recursive: true, encoding: 'utf8' }).sort();
    assert.ok(files.includes('kith.mjs'));
    assert.ok(files.includes(path.join('services', 'circle', 'dist', 'main.js')));
    const unexpected = files.filter((f) => /node_modules|\.ts$|\.map$|(^|\/)src(\/|$)/.test(f));
    assert.deepEqual(unexpected, []);
  });

  test('the entry point names the services it has when given none', () => {
    const r = spawnSync(process.execPath, ['kith.mjs', '--help'], {
      cwd: appDir,
      encoding: 'utf8',
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /usage: kith <circle> \[serve\|migrate\]/);
  });

  test('a service migrates, becomes ready and drains from the copy, reading nothing outside it and writing nothing', async () => {
    const flags = readOnlyNodeFlags(appDir);
    const migrated = spawnSync(process.execPath, [...flags, 'kith.mjs', 'circle', 'migrate'], {
      cwd: appDir,
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    assert.equal(migrated.status, 0, 'migrate failed');

    const port = await freePort();
    const child = spawn(process.execPath, [...flags, 'kith.mjs', 'circle', 'serve'], {
      cwd: appDir,
      env: { ...env, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await waitFor(
        async () =>
          (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200,
        { timeoutMs: 60_000, intervalMs: 100, what: 'circle ready from the image files' },
      );
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  });
});
