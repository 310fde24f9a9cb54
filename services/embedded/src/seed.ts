// Writes the migrated embedded schema as a PGlite cluster directory (`node scripts/build.mjs`
// puts it beside the bundle, where main.ts finds it): a new data dir is copied from it.
import fs from 'node:fs/promises';
import { buildEmbeddedSeed } from '@kith/runtime';
import { allModules } from './modules.js';

const out = process.argv[2];
if (!out) throw new Error('usage: seed.ts <output-dir>');
await fs.rm(out, { recursive: true, force: true });
await buildEmbeddedSeed(allModules, out);
