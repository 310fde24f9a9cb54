import { frameProtocol, refusedUpgradeStatus } from './codec.js';
import type { Encoding } from './codec.js';
import type { SocketLike, WebSocketConstructor } from './types.js';

export interface OpenSocket {
  WebSocket: WebSocketConstructor;
  url: string;
  token: string;
  encoding: Encoding;
  tokenTransport: 'header' | 'subprotocol';
  onMessage: (data: unknown) => void;
  /** refusedStatus: the HTTP status of a refused upgrade, when the WebSocket exposes it. */
  onClose: (refusedStatus: number | undefined) => void;
}

/** Opens one socket to `GET /ws`; `closed` settles once it is closed, however that happened. */
export function openSocket(open: OpenSocket): { socket: SocketLike; closed: Promise<void> } {
  const protocols = [frameProtocol(open.encoding)];
  const headers: Record<string, string> = {};
  // Never the query string: it ends up in proxy and access logs.
  if (open.tokenTransport === 'subprotocol') protocols.push(`bearer.${open.token}`);
  else headers.authorization = `Bearer ${open.token}`;
  const socket = new open.WebSocket(open.url, protocols, { headers });
  // Binary frames as ArrayBuffer in ws and browsers alike (ws defaults to Buffer).
  socket.binaryType = 'arraybuffer';
  let refusedStatus: number | undefined;
  // Also keeps ws from throwing an 'error' nobody listens to.
  socket.addEventListener('error', (event) => {
    refusedStatus ??= refusedUpgradeStatus(event.message);
  });
  socket.addEventListener('message', (event) => open.onMessage(event.data));
  const closed = new Promise<void>((resolve) => {
    socket.addEventListener('close', () => {
      resolve();
      open.onClose(refusedStatus);
    });
  });
  return { socket, closed };
}
