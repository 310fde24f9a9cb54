export { encodeBinary, isPlanned } from './encode.js';
