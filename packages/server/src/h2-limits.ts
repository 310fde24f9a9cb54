import type http2 from 'node:http2';
import type { Logger } from 'pino';

/** Bounds on h2c connections, which otherwise live for ever and hold memory without limit. */
export interface H2Limits {
  /** A session with no frames for this long is closed (GOAWAY; open streams finish). Default 60 s. */
  idleTimeoutMs?: number;
  /** Sessions open at once; one more is refused at once. Default 4096. */
  maxSessions?: number;
  /** Per-session memory nghttp2 may hold (MB) before new streams are refused. Default 10. */
  maxSessionMemoryMb?: number;
  /** Streams a client may open at once on one session (advertised in SETTINGS). Default 128. */
  maxConcurrentStreams?: number;
}

const DEFAULTS = {
  idleTimeoutMs: 60_000,
  maxSessions: 4096,
  maxSessionMemoryMb: 10,
  maxConcurrentStreams: 128,
} satisfies Required<H2Limits>;

/** Options for `http2.createServer`. */
export function h2ServerOptions(limits: H2Limits = {}): http2.ServerOptions {
  return {
    maxSessionMemory: limits.maxSessionMemoryMb ?? DEFAULTS.maxSessionMemoryMb,
    settings: {
      maxConcurrentStreams: limits.maxConcurrentStreams ?? DEFAULTS.maxConcurrentStreams,
    },
  };
}

/**
 * Applies the per-session limits to a new session; false when it was refused because
 * `open` sessions (not counting this one) already reach the cap.
 */
export function admitH2Session(
  session: http2.ServerHttp2Session,
  open: number,
  limits: H2Limits,
  logger: Logger,
): boolean {
  const maxSessions = limits.maxSessions ?? DEFAULTS.maxSessions;
  if (open >= maxSessions) {
    logger.warn({ maxSessions }, 'h2c session refused: too many sessions');
    // Not from inside the 'session' event: node is still setting the session up.
    setImmediate(() => session.destroy());
    return false;
  }
  session.setTimeout(limits.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs, () => session.close());
  return true;
}
