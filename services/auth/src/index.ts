export { authModule } from './module.js';
