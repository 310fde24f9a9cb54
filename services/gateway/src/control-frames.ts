import { create } from '@bufbuild/protobuf';
import { durationFromMs, timestampFromDate, timestampFromMs } from '@bufbuild/protobuf/wkt';
import { ServerFrameSchema, UnsubscribeReason } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { ErrorCode, GapReason, ServerFrame } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import { FRAME_SCHEMA_VERSION, MAX_FRAME_BYTES } from './protocol.js';
import type { CloseIntent } from './protocol.js';

// Control frames (hello, ping, authenticated, error, closing, …) carry seq 0 and no
// occurred_at: seq numbers the event frames of one topic (per topic, dense from 1), which Resume
// relies on; control frames are never replayed.
function control(
  type:
    | 'hello'
    | 'ping'
    | 'authenticated'
    | 'error'
    | 'closing'
    | 'subscribed'
    | 'unsubscribed'
    | 'gap',
  topic = '',
) {
  return { v: FRAME_SCHEMA_VERSION, seq: 0n, type, topic };
}

/** What this gateway keeps for Resume, as Hello advertises it. */
export interface ReplayLimits {
  windowMs: number;
  frames: number;
}

export interface HelloInit {
  connectionId: string;
  userId: string;
  sessionId: string;
  heartbeatMs: number;
  serverTime: Date;
  /** The socket's access-token expiry in seconds since the epoch, if it has one. */
  tokenExpiresAt: number | undefined;
  maxTopics: number;
  replay: ReplayLimits;
  /** Heads of the user's own topics ("user", "notifications"); empty when unknown. */
  lastSeqs: { topic: string; seq: bigint }[];
}

export function helloFrame(init: HelloInit): ServerFrame {
  return create(ServerFrameSchema, {
    ...control('hello'),
    payload: {
      case: 'hello',
      value: {
        connectionId: init.connectionId,
        userId: init.userId,
        sessionId: init.sessionId,
        heartbeatInterval: durationFromMs(init.heartbeatMs),
        replayWindow: durationFromMs(init.replay.windowMs),
        replayWindowFrames: init.replay.frames,
        maxTopics: init.maxTopics,
        lastSeqs: init.lastSeqs,
        serverTime: timestampFromDate(init.serverTime),
        maxFrameBytes: MAX_FRAME_BYTES,
        tokenExpiresAt:
          init.tokenExpiresAt === undefined
            ? undefined
            : timestampFromMs(init.tokenExpiresAt * 1000),
      },
    },
  });
}

export function pingFrame(nonce: bigint): ServerFrame {
  return create(ServerFrameSchema, {
    ...control('ping'),
    payload: { case: 'ping', value: { nonce } },
  });
}

/** Confirms an in-band Authenticate; `expiresAt` in seconds since the epoch. */
export function authenticatedFrame(requestId: number, expiresAt: number): ServerFrame {
  return create(ServerFrameSchema, {
    ...control('authenticated'),
    payload: {
      case: 'authenticated',
      value: { requestId, expiresAt: timestampFromMs(expiresAt * 1000) },
    },
  });
}

export function errorFrame(
  code: ErrorCode,
  message: string,
  requestId: number,
  topic = '',
): ServerFrame {
  return create(ServerFrameSchema, {
    ...control('error', topic),
    payload: { case: 'error', value: { code, message, requestId, topic } },
  });
}

/** Confirms a Subscribe or Resume with each granted topic's head. */
export function subscribedFrame(
  requestId: number,
  heads: { topic: string; seq: bigint }[],
): ServerFrame {
  return create(ServerFrameSchema, {
    ...control('subscribed'),
    payload: { case: 'subscribed', value: { requestId, heads } },
  });
}

/** Subscriptions ended: at the client's request, or because access to them was lost. */
export function unsubscribedFrame(
  topics: string[],
  requestId: number,
  reason: UnsubscribeReason = UnsubscribeReason.REQUESTED,
): ServerFrame {
  return create(ServerFrameSchema, {
    ...control('unsubscribed', topics.length === 1 ? topics[0] : ''),
    payload: { case: 'unsubscribed', value: { topics, requestId, reason } },
  });
}

/** Frames fromSeq..toSeq of `topic` will not be delivered. */
export function gapFrame(topic: string, fromSeq: bigint, toSeq: bigint, reason: GapReason) {
  return create(ServerFrameSchema, {
    ...control('gap', topic),
    payload: { case: 'gap', value: { topic, fromSeq, toSeq, reason } },
  });
}

export function closingFrame(intent: CloseIntent): ServerFrame {
  return create(ServerFrameSchema, {
    ...control('closing'),
    payload: {
      case: 'closing',
      value: {
        reason: intent.reason,
        closeCode: intent.code,
        message: intent.message,
        reconnect: intent.reconnect,
        reconnectAfter: durationFromMs(intent.reconnectAfterMs),
      },
    },
  });
}
