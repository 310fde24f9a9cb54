import { STATUS_CODES } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { BEARER_SUBPROTOCOL_PREFIX, selectSubprotocol } from './protocol.js';

export const WEBSOCKET_PATH = '/ws';

export type HandshakeCheck =
  { ok: true; token: string } | { ok: false; status: 400 | 401 | 403 | 404; reason: string };

/**
 * Everything about an upgrade request that can be decided before verifying the token: path,
 * origin, where the token is and which frame protocol the client speaks. The query string is
 * never read: URLs end up in access logs, proxies and browser history.
 */
export function checkHandshake(
  req: IncomingMessage,
  allowedOrigins: ReadonlySet<string>,
): HandshakeCheck {
  const path = (req.url ?? '/').split('?', 1)[0];
  if (req.method !== 'GET' || path !== WEBSOCKET_PATH) {
    return { ok: false, status: 404, reason: 'not the websocket endpoint' };
  }

  // Browsers always send Origin; non-browser clients may omit it and are not CSRF-prone.
  const origin = req.headers.origin;
  if (allowedOrigins.size > 0 && origin !== undefined && !allowedOrigins.has(origin)) {
    return { ok: false, status: 403, reason: 'origin not allowed' };
  }

  const offered = parseProtocolList(req.headers['sec-websocket-protocol']);
  const bearerEntries = offered.filter((p) => p.startsWith(BEARER_SUBPROTOCOL_PREFIX));
  if (offered.length > 0 && selectSubprotocol(offered) === undefined) {
    // The server must echo one offered protocol; never the bearer entry (it is the token).
    return { ok: false, status: 400, reason: 'no supported subprotocol offered' };
  }
  if (bearerEntries.length > 1) {
    return { ok: false, status: 400, reason: 'more than one bearer subprotocol' };
  }

  const authorization = req.headers.authorization;
  const headerToken = authorization === undefined ? undefined : parseBearer(authorization);
  if (authorization !== undefined && headerToken === undefined) {
    return { ok: false, status: 401, reason: 'authorization header is not a bearer token' };
  }
  const protocolToken = bearerEntries[0]?.slice(BEARER_SUBPROTOCOL_PREFIX.length);
  if (headerToken !== undefined && protocolToken !== undefined) {
    return { ok: false, status: 400, reason: 'token sent both as header and subprotocol' };
  }
  const token = headerToken ?? protocolToken;
  if (token === undefined || token.length === 0) {
    return { ok: false, status: 401, reason: 'no access token' };
  }
  return { ok: true, token };
}

function parseProtocolList(header: string | undefined): string[] {
  if (header === undefined) return [];
  return header
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

function parseBearer(value: string): string | undefined {
  const match = /^Bearer +(\S+)$/i.exec(value.trim());
  return match?.[1];
}

/**
 * The request headers as a Fetch Headers object for ctx.authenticate, with the token placed in
 * `authorization` wherever it came from, and the subprotocol list (which may hold it) dropped.
 */
export function credentialHeaders(req: IncomingMessage, token: string): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name === 'sec-websocket-protocol') continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  headers.set('authorization', `Bearer ${token}`);
  return headers;
}

/** Answers a refused upgrade with a bare HTTP response and drops the socket. */
export function rejectUpgrade(socket: Duplex, status: number): void {
  if (socket.destroyed) return;
  const extra = status === 401 ? 'WWW-Authenticate: Bearer\r\n' : '';
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Connection: close\r\nContent-Length: 0\r\n' +
      extra +
      '\r\n',
  );
}
