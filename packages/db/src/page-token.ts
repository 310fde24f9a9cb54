import crypto from 'node:crypto';

/** A value of one keyset column, as it came from the row. */
export type CursorValue = string | number | Date;

/** Where a page ended: the sort-key values of its last row, then its id (the tiebreaker). */
export interface PageCursor {
  keys: readonly CursorValue[];
  id: string;
}

export type InvalidPageTokenReason = 'malformed' | 'tampered' | 'unsupported_version';

/**
 * The client sent a page token this query did not issue. The error interceptor maps it to
 * InvalidArgument on `field`; `reason` is for logs only.
 */
export class InvalidPageTokenError extends Error {
  override readonly name = 'InvalidPageTokenError';
  readonly field = 'page_token';
  constructor(readonly reason: InvalidPageTokenReason) {
    super('invalid page token');
  }
}

export interface PageTokenCodec {
  /** `binding` names the query (method, filters, caller) the token may be replayed against. */
  encode(cursor: PageCursor, binding: string): string;
  /** Throws `InvalidPageTokenError` for a malformed, tampered or foreign token. */
  decode(token: string, binding: string): PageCursor;
}

export type PageTokenSecret = Uint8Array | string;

const VERSION = 1;
const MAC_BYTES = 16; // 128-bit truncated HMAC-SHA256
const MIN_SECRET_BYTES = 32;
const MAX_TOKEN_CHARS = 2048;
const DOMAIN = Buffer.from('kith.page_token\0', 'utf8');
const base64url = /^[A-Za-z0-9_-]+$/;

interface Payload {
  v: number;
  k: Array<string | number | { d: string }>;
  id: string;
}

function toKey(secret: PageTokenSecret): Buffer {
  const key = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  if (key.length < MIN_SECRET_BYTES)
    throw new Error(`page token secret must be at least ${MIN_SECRET_BYTES} bytes`);
  return key;
}

function mac(key: Buffer, binding: string, payload: Buffer): Buffer {
  const bindingBytes = Buffer.from(binding, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bindingBytes.length);
  // Length-prefixed binding: no (binding, payload) pair can collide with another split.
  return crypto
    .createHmac('sha256', key)
    .update(DOMAIN)
    .update(length)
    .update(bindingBytes)
    .update(payload)
    .digest()
    .subarray(0, MAC_BYTES);
}

function encodeValue(value: CursorValue): Payload['k'][number] {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TypeError('page cursor holds an invalid Date');
    return { d: value.toISOString() };
  }
  if (typeof value === 'number' && !Number.isFinite(value))
    throw new TypeError('page cursor number must be finite');
  return value;
}

function decodeValue(value: unknown): CursorValue {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { d?: unknown }).d === 'string'
  ) {
    const date = new Date((value as { d: string }).d);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new InvalidPageTokenError('malformed');
}

/**
 * Opaque, signed page tokens: base64url(JSON payload ‖ HMAC). Pass several secrets to rotate:
 * the first signs, any verifies.
 */
export function createPageTokenCodec(
  secret: PageTokenSecret | readonly PageTokenSecret[],
): PageTokenCodec {
  const list: readonly PageTokenSecret[] =
    typeof secret === 'string' || secret instanceof Uint8Array ? [secret] : secret;
  const keys = list.map(toKey);
  const signing = keys[0];
  if (!signing) throw new Error('createPageTokenCodec needs at least one secret');
  return {
    encode(cursor, binding) {
      const payload: Payload = { v: VERSION, k: cursor.keys.map(encodeValue), id: cursor.id };
      const bytes = Buffer.from(JSON.stringify(payload), 'utf8');
      return Buffer.concat([bytes, mac(signing, binding, bytes)]).toString('base64url');
    },
    decode(token, binding) {
      if (typeof token !== 'string' || token.length > MAX_TOKEN_CHARS || !base64url.test(token)) {
        throw new InvalidPageTokenError('malformed');
      }
      const raw = Buffer.from(token, 'base64url');
      // Canonical encoding only: unused trailing bits would otherwise let two strings name one token.
      if (raw.length <= MAC_BYTES || raw.toString('base64url') !== token) {
        throw new InvalidPageTokenError('malformed');
      }
      const bytes = raw.subarray(0, raw.length - MAC_BYTES);
      const given = raw.subarray(raw.length - MAC_BYTES);
      if (!keys.some((key) => crypto.timingSafeEqual(mac(key, binding, bytes), given))) {
        throw new InvalidPageTokenError('tampered');
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(bytes.toString('utf8'));
      } catch {
        throw new InvalidPageTokenError('malformed');
      }
      const payload = parsed as Partial<Payload> | null;
      if (typeof payload !== 'object' || payload === null)
        throw new InvalidPageTokenError('malformed');
      if (payload.v !== VERSION) throw new InvalidPageTokenError('unsupported_version');
      if (!Array.isArray(payload.k) || typeof payload.id !== 'string')
        throw new InvalidPageTokenError('malformed');
      return { keys: payload.k.map(decodeValue), id: payload.id };
    },
  };
}
