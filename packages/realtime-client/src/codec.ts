import { create, fromBinary, fromJsonString, toBinary, toJsonString } from '@bufbuild/protobuf';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { ClientFrameSchema, ServerFrameSchema } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { ServerFrame } from '@kith/gen/kith/realtime/v1/realtime_pb.js';

// Wire encoding of frames (realtime.proto, "Connection"): proto3 JSON in text messages under
// kith.v1, binary protobuf in binary messages under kith.v1.proto.

export type Encoding = 'json' | 'binary';
export type ClientFrameInit = MessageInitShape<typeof ClientFrameSchema>;

/** ServerFrame.v this client understands; a frame of another version must not be read. */
export const FRAME_SCHEMA_VERSION = 1;

export function frameProtocol(encoding: Encoding): string {
  return encoding === 'binary' ? 'kith.v1.proto' : 'kith.v1';
}

export function encodeClientFrame(init: ClientFrameInit, encoding: Encoding): string | Uint8Array {
  const frame = create(ClientFrameSchema, init);
  return encoding === 'binary'
    ? toBinary(ClientFrameSchema, frame)
    : toJsonString(ClientFrameSchema, frame);
}

/** Decodes one message; text and binary are told apart by the data, not trusted to `encoding`. */
export function decodeServerFrame(data: unknown): ServerFrame {
  if (typeof data === 'string') return fromJsonString(ServerFrameSchema, data);
  if (data instanceof ArrayBuffer) return fromBinary(ServerFrameSchema, new Uint8Array(data));
  if (ArrayBuffer.isView(data)) {
    return fromBinary(
      ServerFrameSchema,
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    );
  }
  throw new TypeError('unsupported WebSocket message data');
}

/**
 * The HTTP status of a refused upgrade, from `ws`'s error event ("Unexpected server response:
 * 401"). Browsers do not expose it (a refused upgrade is a plain 1006 close there).
 */
export function refusedUpgradeStatus(message: string | undefined): number | undefined {
  const match = /Unexpected server response: (\d{3})/.exec(message ?? '');
  return match ? Number(match[1]) : undefined;
}
