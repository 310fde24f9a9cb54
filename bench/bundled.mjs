// Runs a bench as Kith ships: the script is bundled with the service bundles' esbuild settings
// (scripts/bundle-options.mjs) and run by plain node, instead of through tsx, whose transform
// (names kept on every function, loader hooks) costs a hot path time a pod never spends.
//   node bench/bundled.mjs src/main.ts [-- bench options]
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundleOptions } from '../scripts/bundle-options.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const [entry, ...args] = process.argv.slice(2);
if (!entry) throw new Error('usage: node bench/bundled.mjs <entry.ts> [args]');
const outfile = path.join(here, '.bundle', `${path.basename(entry, '.ts')}.mjs`);
await build(bundleOptions(path.resolve(here, entry), outfile));
const run = spawnSync(process.execPath, [outfile, ...args], { stdio: 'inherit' });
process.exit(run.status ?? 1);
