// Bundles each service's main.ts into services/<name>/dist/main.js: one self-contained ESM file
// per process (what the Helm chart runs), so an image needs no workspace links. The embedded
// bundle also gets PGlite's WebAssembly and data files beside it (PGlite loads them relative to
// the code, which is now dist/main.js) and the migrated schema it starts a new data dir from.
import { build } from 'esbuild';
import { bundleOptions } from './bundle-options.mjs';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const only = process.argv.slice(2);

/**
 * Packages left out of the bundle because they load a native library or a binary by a path of
 * their own (sharp: its addon and libvips, found relative to each other; the ffmpeg and
 * ffprobe installers: the platform package's executable): each is copied with what it needs
 * under the bundle's own node_modules, where `import` finds it.
 */
const shipped = ['sharp', '@ffmpeg-installer/ffmpeg', '@ffprobe-installer/ffprobe'];
/** Executables inside shipped packages: readable and runnable by any user (the image's 10001). */
const executables = ['ffmpeg', 'ffprobe'];
const services = fs
  .readdirSync('services')
  .filter((name) => fs.existsSync(`services/${name}/src/main.ts`))
  .filter((name) => only.length === 0 || only.includes(name));

for (const name of services) {
  // Built aside, then swapped in whole: a process running from dist/ keeps its files (its
  // native addon is mapped into memory, and overwriting it in place would crash that process).
  const dist = `services/${name}/dist`;
  const next = `${dist}.next`;
  fs.rmSync(next, { recursive: true, force: true });
  const result = await build({
    ...bundleOptions(`services/${name}/src/main.ts`, `${next}/main.js`, shipped),
    metafile: true,
  });
  shipExternals(result.metafile, `${next}/node_modules`);
  if (name === 'embedded') embeddedExtras(next);
  fs.rmSync(dist, { recursive: true, force: true });
  fs.renameSync(next, dist);
  console.log(`built ${dist}/main.js`);
}

/** The directory of package `name` as seen from `fromDir` (node_modules up the tree), real. */
function packageDir(name, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return fs.realpathSync(candidate);
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * Copies each `shipped` package the bundle imports, with its dependencies and those of its
 * optional dependencies installed here (the platform's prebuilt addon), into `nodeModules`.
 */
function shipExternals(metafile, nodeModules) {
  const seen = new Set();
  const ship = (name, fromDir) => {
    if (seen.has(name)) return;
    const dir = packageDir(name, fromDir);
    if (!dir) return; // an optional dependency for another platform
    seen.add(name);
    const to = path.join(nodeModules, name);
    fs.cpSync(dir, to, { recursive: true, dereference: true });
    for (const file of executables) {
      if (fs.existsSync(path.join(to, file))) fs.chmodSync(path.join(to, file), 0o755);
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      ship(dep, dir);
    }
  };
  for (const [file, input] of Object.entries(metafile.inputs)) {
    for (const imported of input.imports) {
      if (imported.external && shipped.includes(imported.path)) {
        ship(imported.path, path.dirname(path.resolve(file)));
      }
    }
  }
}

function embeddedExtras(dist) {
  const pgliteEntry = createRequire(path.resolve('packages/db/package.json')).resolve(
    '@electric-sql/pglite',
  );
  for (const file of ['pglite.wasm', 'pglite.data', 'initdb.wasm']) {
    fs.copyFileSync(path.join(path.dirname(pgliteEntry), file), path.join(dist, file));
  }
  const seed = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'services/embedded/src/seed.ts', path.join(dist, 'pglite-seed')],
    { stdio: 'inherit', env: { ...process.env, LOG_LEVEL: 'warn' } },
  );
  if (seed.status !== 0) throw new Error('could not write the embedded seed');
}
