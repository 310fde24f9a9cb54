import type {
  Error as ErrorFrame,
  Gap,
  Hello,
  ServerFrame,
  Subscribed,
  Unsubscribed,
} from '@kith/gen/kith/realtime/v1/realtime_pb.js';

/**
 * The part of a WebSocket the client uses: the WHATWG API, which both `ws` and browsers
 * implement, so the same client runs in Node (default) and in a browser (inject its WebSocket).
 */
export interface SocketLike {
  readonly readyState: number;
  binaryType: string;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(
    type: 'close',
    listener: (event: { code: number; reason: string }) => void,
  ): void;
  // `ws` puts "Unexpected server response: <status>" in message when the upgrade is refused.
  addEventListener(type: 'error', listener: (event: { message?: string }) => void): void;
}

/** `ws`'s constructor shape; a browser's WebSocket ignores the third argument. */
export type WebSocketConstructor = new (
  url: string,
  protocols: string[],
  options: { headers: Record<string, string> },
) => SocketLike;

/**
 * connecting: opening a socket, until Hello. open: Hello received. waiting: backing off before
 * the next attempt. unauthorized: the token was refused at the upgrade (HTTP 401); stopped until
 * the embedder signs in again and creates a new client. closed: close() was called.
 */
export type ClientState = 'connecting' | 'open' | 'waiting' | 'unauthorized' | 'closed';

export interface RealtimeClientOptions {
  /** `ws://host/ws`, or a function asked on every attempt (to follow a moved gateway). */
  url: string | (() => string);
  /** The current access token; asked on every (re)connect and before the socket's expires. */
  token: () => Promise<string> | string;
  /** 'json' (kith.v1, text frames; the default) or 'binary' (kith.v1.proto). */
  encoding?: 'json' | 'binary';
  /**
   * Where the token goes: the Authorization header (Node, the default) or a `bearer.<jwt>`
   * subprotocol entry (browsers, which cannot set headers on a WebSocket).
   */
  tokenTransport?: 'header' | 'subprotocol';
  /** Defaults to `ws`'s WebSocket (Node 20 has no global one). */
  WebSocket?: WebSocketConstructor;
  /**
   * Event frames, in order, once each (duplicates dropped). For ack_required frames the Ack is
   * sent after this returns (or its promise resolves); throw to withhold it.
   */
  onFrame?: (frame: ServerFrame) => void | Promise<void>;
  /** Frames that will never come: refetch the topic through the RPC APIs. */
  onGap?: (gap: Gap) => void;
  /** The server ended subscriptions (access lost); the client has forgotten those topics. */
  onUnsubscribed?: (unsubscribed: Unsubscribed) => void;
  /** Every Error frame the gateway sends (requests it answers also reject). */
  onError?: (error: ErrorFrame) => void;
  onState?: (state: ClientState) => void;
  /** Each socket's first frame. */
  onHello?: (hello: Hello) => void;
  /** An onFrame that threw: that frame is not acknowledged. Defaults to console.error. */
  onHandlerError?: (error: unknown, frame: ServerFrame) => void;
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Jitter source, in [0, 1). */
  random?: () => number;
}

export interface RealtimeClient {
  readonly state: ClientState;
  /** Wanted topics, confirmed or not. */
  readonly topics: string[];
  /** Resolves with the Subscribed that granted the topic; rejects with a RealtimeError. */
  subscribe(topic: string): Promise<Subscribed>;
  /** Resolves once the gateway confirms it, or at once when no socket is open. */
  unsubscribe(topic: string): Promise<void>;
  /** Stops reconnecting, closes the socket and resolves once it is closed. */
  close(): Promise<void>;
}
