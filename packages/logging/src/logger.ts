import { pino } from 'pino';
import type { DestinationStream, Level, LevelWithSilent, Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;
export type LogLevel = LevelWithSilent;
export type { DestinationStream, Level };

/** Field names whose values never reach a log line, at the top level or one object down. */
export const SENSITIVE_KEYS = [
  'authorization',
  'cookie',
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'accessToken',
  'refreshToken',
  'apiKey',
  'secret',
  'email',
  'totpCode',
] as const;

export const REDACTED = '[redacted]';

// pino's redaction compiles these paths once; wildcards match a single level, so request and
// response headers (two levels down) are listed explicitly.
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  ...SENSITIVE_KEYS,
  ...SENSITIVE_KEYS.map((key) => `*.${key}`),
];

export interface RootLoggerOptions {
  level: LogLevel;
  /** Usually the service name; appears as `name` on every line. */
  name?: string;
  /** Where JSON lines go; stdout when omitted. Tests pass an in-memory stream. */
  destination?: DestinationStream;
  /** Extra paths to redact, in pino's path syntax. */
  redact?: readonly string[];
}

/** One per process, built by the composition root and handed down; never a module global. */
export function createRootLogger({
  level,
  name,
  destination,
  redact = [],
}: RootLoggerOptions): Logger {
  const options = {
    level,
    ...(name === undefined ? {} : { name }),
    redact: { paths: [...REDACT_PATHS, ...redact], censor: REDACTED },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A child logger for one part of the system, e.g. `createLogger(root, 'post:fanout')`. */
export function createLogger(root: Logger, subsystem: string): Logger {
  return root.child({ subsystem });
}
