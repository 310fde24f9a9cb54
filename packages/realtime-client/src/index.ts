export { createRealtimeClient } from './client.js';
export { backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
export type { BackoffSettings } from './backoff.js';
export { chunkCursors, MAX_RESUME_CURSORS, TopicCursors } from './cursors.js';
export type { Cursor, EventVerdict } from './cursors.js';
export { RealtimeError } from './errors.js';
export type {
  ClientState,
  RealtimeClient,
  RealtimeClientOptions,
  SocketLike,
  WebSocketConstructor,
} from './types.js';
