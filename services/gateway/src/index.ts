export { gatewayModule } from './module.js';
