export { ConfigError, loadEnv } from './env.js';
export type { LoadEnvOptions } from './env.js';
export { envBool, envDurationMs, envInt, envList, envUrl, parseDurationMs } from './parsers.js';
export type { EnvIntOptions, EnvUrlOptions } from './parsers.js';
export { platformEnvSchema, toPlatformConfig, toPlatformSecrets } from './platform.js';
export type { KithMode, PlatformConfig, PlatformEnv, PlatformSecrets } from './platform.js';
