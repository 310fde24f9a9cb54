import { runServiceCli } from '@kith/runtime';
import { authModule } from './module.js';

await runServiceCli(authModule);
