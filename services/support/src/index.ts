export { supportModule } from './module.js';
