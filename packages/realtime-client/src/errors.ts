import { ErrorCode } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { Error as ErrorFrame } from '@kith/gen/kith/realtime/v1/realtime_pb.js';

/**
 * Why a subscribe() or unsubscribe() did not succeed. `code` is the gateway's ErrorCode when an
 * Error frame refused the request, ErrorCode.UNSPECIFIED when the client itself gave up (it was
 * closed, the token was refused, or the topic was unsubscribed before it was confirmed).
 */
export class RealtimeError extends Error {
  readonly code: ErrorCode;
  /** The topic concerned, if any. */
  readonly topic: string;
  /** The Error frame that refused the request, if one did. */
  readonly frame: ErrorFrame | undefined;

  constructor(message: string, code: ErrorCode, topic: string, frame?: ErrorFrame) {
    super(message);
    this.name = 'RealtimeError';
    this.code = code;
    this.topic = topic;
    this.frame = frame;
  }

  static fromFrame(frame: ErrorFrame, topic: string): RealtimeError {
    return new RealtimeError(frame.message, frame.code, frame.topic || topic, frame);
  }

  static local(message: string, topic = ''): RealtimeError {
    return new RealtimeError(message, ErrorCode.UNSPECIFIED, topic);
  }
}
