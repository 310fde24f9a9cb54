import { fromBinary, fromJsonString, toJsonString } from '@bufbuild/protobuf';
import { createValidator } from '@bufbuild/protovalidate';
import {
  ClientFrameSchema,
  CloseReason,
  ServerFrameSchema,
} from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { ClientFrame, ServerFrame } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { RawData } from 'ws';
import { encodeBinary } from '@kith/wire';

// Wire rules of `GET /ws`, from proto/kith/realtime/v1/realtime.proto. Every WebSocket message
// is one frame. The encoding is chosen by subprotocol: `kith.v1` and `kith.v1.json` carry
// proto3 JSON in text messages (the default, also when no subprotocol is offered);
// `kith.v1.proto` carries binary protobuf in binary messages.

/** ServerFrame.v of every frame this gateway sends. */
export const FRAME_SCHEMA_VERSION = 1;

/** Largest client message; ws itself closes the socket with 1009 beyond it. */
export const MAX_FRAME_BYTES = 64 * 1024;

export type FrameEncoding = 'json' | 'binary';

const SUBPROTOCOL_ENCODINGS: Readonly<Record<string, FrameEncoding>> = {
  'kith.v1': 'json',
  'kith.v1.json': 'json',
  'kith.v1.proto': 'binary',
};

/** Prefix of the Sec-WebSocket-Protocol entry that carries the access token (browsers). */
export const BEARER_SUBPROTOCOL_PREFIX = 'bearer.';

/** The first frame protocol the client offered that we speak, in the client's order. */
export function selectSubprotocol(offered: Iterable<string>): string | undefined {
  for (const protocol of offered) {
    if (Object.hasOwn(SUBPROTOCOL_ENCODINGS, protocol)) return protocol;
  }
  return undefined;
}

export function encodingOf(subprotocol: string | undefined): FrameEncoding {
  return (subprotocol && SUBPROTOCOL_ENCODINGS[subprotocol]) || 'json';
}

/** WebSocket close codes of the contract (see the header of realtime.proto). */
export const CloseCode = {
  serverShutdown: 1001,
  tokenRevokedOrExpired: 4401,
  heartbeatTimeout: 4408,
  slowConsumer: 4429,
} as const;

/** Why and how a socket is being closed: the Closing frame and the close code that follows. */
export interface CloseIntent {
  reason: CloseReason;
  code: number;
  message: string;
  /** Whether reconnecting as-is makes sense (not with a revoked token). */
  reconnect: boolean;
  reconnectAfterMs: number;
}

export const closeIntents = {
  shutdown: {
    reason: CloseReason.SERVER_SHUTDOWN,
    code: CloseCode.serverShutdown,
    message: 'server restarting; reconnect to any replica',
    reconnect: true,
    reconnectAfterMs: 1_000,
  },
  tokenRevoked: {
    reason: CloseReason.TOKEN_REVOKED,
    code: CloseCode.tokenRevokedOrExpired,
    message: 'access revoked; sign in again or refresh before reconnecting',
    reconnect: false,
    reconnectAfterMs: 0,
  },
  tokenExpired: {
    reason: CloseReason.TOKEN_EXPIRED,
    code: CloseCode.tokenRevokedOrExpired,
    message: 'access token expired; refresh it before reconnecting',
    reconnect: false,
    reconnectAfterMs: 0,
  },
  heartbeatTimeout: {
    reason: CloseReason.HEARTBEAT_TIMEOUT,
    code: CloseCode.heartbeatTimeout,
    message: 'no pong within two heartbeat intervals',
    reconnect: true,
    reconnectAfterMs: 1_000,
  },
  slowConsumer: {
    reason: CloseReason.SLOW_CONSUMER,
    code: CloseCode.slowConsumer,
    message: 'slow consumer: frames were not read fast enough',
    reconnect: true,
    // Backing off gives a client on a poor link a chance to drain before trying again.
    reconnectAfterMs: 5_000,
  },
} satisfies Record<string, CloseIntent>;

export function encodeServerFrame(
  frame: ServerFrame,
  encoding: FrameEncoding,
): string | Uint8Array {
  return encoding === 'json'
    ? toJsonString(ServerFrameSchema, frame)
    : encodeBinary(ServerFrameSchema, frame);
}

export type DecodedClientFrame =
  { ok: true; frame: ClientFrame } | { ok: false; message: string; requestId: number };

const MAX_ERROR_DETAIL = 200;
/** Compiled lazily: most processes never decode a client frame in tests. */
let validator: ReturnType<typeof createValidator> | undefined;

/** Parses one client message; a failure carries a client-safe reason for an Error frame. */
export function decodeClientFrame(
  data: RawData,
  isBinary: boolean,
  encoding: FrameEncoding,
): DecodedClientFrame {
  if (encoding === 'json' && isBinary) {
    return { ok: false, message: 'expected a text message with a proto3 JSON frame', requestId: 0 };
  }
  if (encoding === 'binary' && !isBinary) {
    return { ok: false, message: 'expected a binary message with a protobuf frame', requestId: 0 };
  }
  const bytes = toBuffer(data);
  let frame: ClientFrame;
  try {
    frame =
      encoding === 'json'
        ? fromJsonString(ClientFrameSchema, bytes.toString('utf8'))
        : fromBinary(ClientFrameSchema, bytes);
  } catch (error) {
    // The detail only describes the client's own message, so it is safe to send back.
    const detail = error instanceof Error ? error.message : 'unparseable';
    return {
      ok: false,
      message: `malformed frame: ${detail.slice(0, MAX_ERROR_DETAIL)}`,
      requestId: 0,
    };
  }
  if (frame.frame.case === undefined) {
    return {
      ok: false,
      message: 'frame carries none of subscribe, unsubscribe, ack, resume, pong, authenticate',
      requestId: frame.requestId,
    };
  }
  // The field rules of realtime.proto (topic names, cursor counts, token length, …).
  validator ??= createValidator();
  const checked = validator.validate(ClientFrameSchema, frame);
  if (checked.kind !== 'valid') {
    const detail = checked.kind === 'invalid' ? checked.violations[0]?.toString() : undefined;
    return {
      ok: false,
      message: `invalid frame: ${(detail ?? 'rules could not be checked').slice(0, MAX_ERROR_DETAIL)}`,
      requestId: frame.requestId,
    };
  }
  return { ok: true, frame };
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
