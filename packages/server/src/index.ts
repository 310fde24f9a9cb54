export { createKithServer } from './server.js';
export type { KithServer, KithServerOptions } from './server.js';
export type { ReadinessCheck } from './health-state.js';
export type { HttpRoutes } from './plain-http.js';
export type { DescriptorSource } from './reflection.js';
export { createMetricsInterceptor, registerDefaultMetrics } from './metrics.js';
export { observeCall, outcomeOf } from './observe-call.js';
export { clientAddress } from './client-address.js';
export { presetResponseKey, presetResponseSupportedKey } from './preset-response.js';
