import { runServiceCli } from '@kith/runtime';
import { moderationModule } from './module.js';

await runServiceCli(moderationModule);
