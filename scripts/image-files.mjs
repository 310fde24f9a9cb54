// Assembles the files of the image's runtime stage into one directory: the entry point and each
// service's bundle (`pnpm build` output), nothing else — no sources, no node_modules, no dev
// dependencies. The Dockerfile runs this in its build stage and copies the result; the image
// test runs it too, then starts a service from the copy.
// Usage: node scripts/image-files.mjs <out-dir> [service ...]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [outDir, ...only] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: node scripts/image-files.mjs <out-dir> [service ...]');
  process.exit(2);
}
const services = fs
  .readdirSync(path.join(repoRoot, 'services'))
  .filter((name) => only.length === 0 || only.includes(name))
  .filter((name) => fs.existsSync(path.join(repoRoot, 'services', name, 'dist/main.js')));
if (services.length === 0) {
  console.error('no bundles found: run `pnpm build` first');
  process.exit(1);
}
fs.mkdirSync(outDir, { recursive: true });
fs.copyFileSync(path.join(repoRoot, 'deploy/docker/kith.mjs'), path.join(outDir, 'kith.mjs'));
// The bundles are ES modules; this makes Node treat every .js below as one without asking.
fs.writeFileSync(path.join(outDir, 'package.json'), '{ "type": "module", "private": true }\n');
for (const name of services) {
  const from = path.join(repoRoot, 'services', name, 'dist');
  const to = path.join(outDir, 'services', name, 'dist');
  // Source maps stay out of the image: they double its size and stack traces name bundle lines.
  fs.cpSync(from, to, { recursive: true, filter: (src) => !src.endsWith('.map') });
  console.log(`image: services/${name}/dist`);
}
