// esbuild's settings for Kith as it ships: one self-contained ESM file for Node 20. Shared by the
// service bundles (scripts/build.mjs) and the benches that measure the shipped code
// (bench/bundled.mjs), so what a bench times is what a pod runs.

/** Optional native addons the libraries probe for; never used here. */
const probedAddons = ['pg-native', 'bufferutil', 'utf-8-validate'];

/** The options for bundling `entry` into `outfile`, with `external` left out of the bundle. */
export function bundleOptions(entry, outfile, external = []) {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
    external: [...probedAddons, ...external],
    // Native addons that are used (argon2) are copied beside the bundle and required from there.
    loader: { '.node': 'copy' },
    // CommonJS dependencies call require(); give the ESM bundle one.
    banner: {
      js: "import { createRequire as __kithCreateRequire } from 'node:module'; const require = __kithCreateRequire(import.meta.url);",
    },
  };
}
