export { findService, requireService, servicesRequired } from './services.js';
export type { ServiceLookup, ServiceName } from './services.js';
export { createTestSchema, uniqueName } from './schema.js';
export type { TestSchema } from './schema.js';
export { freePort, waitFor } from './ports.js';
