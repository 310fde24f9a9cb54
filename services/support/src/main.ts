import { runServiceCli } from '@kith/runtime';
import { supportModule } from './module.js';

await runServiceCli(supportModule);
