// `pnpm start`: embedded Kith from its bundle (services/embedded/dist/main.js), which starts in
// a fraction of the time the TypeScript sources take through tsx. The bundle is rebuilt first
// when it is missing or any source it is built from is newer. `--build-only` stops there.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'services/embedded/dist');
const outputs = ['main.js', 'pglite.wasm', 'pglite.data', 'initdb.wasm', 'pglite-seed'];
const inputs = ['services', 'packages', 'gen', 'scripts/build.mjs', 'pnpm-lock.yaml'];
const skipped = new Set(['node_modules', 'dist', '.data']);

function newestMtime(file) {
  const stat = fs.statSync(file);
  if (!stat.isDirectory()) return file.endsWith('.test.ts') ? 0 : stat.mtimeMs;
  let newest = 0;
  for (const entry of fs.readdirSync(file)) {
    if (!skipped.has(entry)) newest = Math.max(newest, newestMtime(path.join(file, entry)));
  }
  return newest;
}

function builtAt() {
  try {
    return Math.min(...outputs.map((file) => fs.statSync(path.join(dist, file)).mtimeMs));
  } catch {
    return 0;
  }
}

const sourcesAt = Math.max(...inputs.map((input) => newestMtime(path.join(root, input))));
if (builtAt() < sourcesAt) {
  console.error('kith: building the embedded bundle (sources are newer than it)…');
  const build = spawnSync(process.execPath, ['scripts/build.mjs', 'embedded'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
if (!process.argv.includes('--build-only')) {
  await import(pathToFileURL(path.join(dist, 'main.js')).href);
}
