export { userModule } from './module.js';
export { DATA_PARTICIPANTS } from './lifecycle/participants.js';
