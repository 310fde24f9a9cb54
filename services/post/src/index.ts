export { postModule } from './module.js';
