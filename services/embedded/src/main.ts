import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createRootLogger } from '@kith/logging';
import { exitIfPortInUse, startEmbedded, stopOnSignals } from '@kith/runtime';
import { allModules } from './modules.js';

const started = performance.now();
// The build writes the migrated schema beside the bundle (dist/); from src/ there is none.
const seedDir = fileURLToPath(new URL('./pglite-seed', import.meta.url));
const kith = await startEmbedded(allModules, {
  seedDir: fs.existsSync(seedDir) ? seedDir : undefined,
}).catch((err: unknown) => {
  exitIfPortInUse(err);
  throw err;
});
const log = createRootLogger({ level: kith.config.logLevel, name: 'kith' });
const seconds = ((performance.now() - started) / 1000).toFixed(2);
log.info({ url: kith.url, startupSeconds: Number(seconds) }, 'kith embedded is listening');
console.log(`
Kith is running (embedded) at ${kith.url} — started in ${seconds}s, data in ${kith.config.dataDir}/
  Try:  pnpm exec buf curl --protocol grpc --http2-prior-knowledge --list-services ${kith.url}
        curl ${kith.url}/readyz
  Stop: Ctrl-C
`);
stopOnSignals(kith.stop, log);
