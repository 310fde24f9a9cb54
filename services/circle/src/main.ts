import { runServiceCli } from '@kith/runtime';
import { circleModule } from './module.js';

await runServiceCli(circleModule);
