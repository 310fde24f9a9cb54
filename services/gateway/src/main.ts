import { runServiceCli } from '@kith/runtime';
import { gatewayModule } from './module.js';

await runServiceCli(gatewayModule);
