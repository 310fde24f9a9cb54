import { runServiceCli } from '@kith/runtime';
import { userModule } from './module.js';

await runServiceCli(userModule);
