import { performance } from 'node:perf_hooks';
import { createRootLogger } from '@kith/logging';
import { startEmbedded, stopOnSignals } from '@kith/runtime';
import { allModules } from './modules.js';

const started = performance.now();
const kith = await startEmbedded(allModules);
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
