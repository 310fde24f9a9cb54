export { gatewayModule } from './module.js';
// The gateway without the host, for the fan-out benchmark (bench/src/realtime.ts).
export { createGateway } from './gateway.js';
export type { GatewayOptions } from './gateway.js';
export { topicAccess } from './topic-access.js';
export { circleTopic, liveSubjectOf } from './routing/topics.js';
