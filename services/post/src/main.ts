import { runServiceCli } from '@kith/runtime';
import { postModule } from './module.js';

await runServiceCli(postModule);
