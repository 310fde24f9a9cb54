export { circleModule } from './module.js';
