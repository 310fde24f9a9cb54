/** What other areas of the user service call: system notifications (DATA_EXPORT_READY). */
export { notifySystem } from './record.js';
