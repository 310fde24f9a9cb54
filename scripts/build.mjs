// Bundles each service's main.ts into services/<name>/dist/main.js: one self-contained ESM file
// per process (what the Helm chart runs), so an image needs no workspace links.
import { build } from 'esbuild';
import fs from 'node:fs';

const only = process.argv.slice(2);
const services = fs
  .readdirSync('services')
  .filter((name) => fs.existsSync(`services/${name}/src/main.ts`))
  .filter((name) => only.length === 0 || only.includes(name));

for (const name of services) {
  await build({
    entryPoints: [`services/${name}/src/main.ts`],
    outfile: `services/${name}/dist/main.js`,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
    // Optional native addons the libraries probe for; never used here.
    external: ['pg-native', 'bufferutil', 'utf-8-validate'],
    // Native addons that are used (argon2) are copied beside the bundle and required from there.
    loader: { '.node': 'copy' },
    // CommonJS dependencies call require(); give the ESM bundle one.
    banner: {
      js: "import { createRequire as __kithCreateRequire } from 'node:module'; const require = __kithCreateRequire(import.meta.url);",
    },
  });
  console.log(`built services/${name}/dist/main.js`);
}
