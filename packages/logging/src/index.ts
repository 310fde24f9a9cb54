export {
  createLogger,
  createRootLogger,
  REDACT_PATHS,
  REDACTED,
  SENSITIVE_KEYS,
} from './logger.js';
export type { DestinationStream, Level, Logger, LogLevel, RootLoggerOptions } from './logger.js';
