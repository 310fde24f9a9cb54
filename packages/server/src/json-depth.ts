import zlib from 'node:zlib';
import { Code, ConnectError } from '@connectrpc/connect';
import type { NodeRequest } from './http-types.js';

/** Deeper than any Kith message; deep enough for any JSON a client legitimately sends. */
export const DEFAULT_MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPENERS = new Set([0x5b, 0x7b]);
const CLOSERS = new Set([0x5d, 0x7d]);

/**
 * Counts `{`/`[` nesting over raw JSON bytes, outside strings, chunk by chunk: a few
 * comparisons per byte, so a body nested 100,000 deep is refused before anything parses it.
 * UTF-8 continuation bytes are all >= 0x80 and never look like a bracket or a quote.
 */
export class JsonDepthScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(private readonly maxDepth: number) {}

  /** False once the nesting went beyond the bound. */
  push(bytes: Uint8Array): boolean {
    for (const byte of bytes) {
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === BACKSLASH) this.escaped = true;
        else if (byte === QUOTE) this.inString = false;
      } else if (byte === QUOTE) {
        this.inString = true;
      } else if (OPENERS.has(byte)) {
        this.depth += 1;
        if (this.depth > this.maxDepth) return false;
      } else if (CLOSERS.has(byte)) {
        this.depth -= 1;
      }
    }
    return true;
  }
}

function decompress(bytes: Buffer, encoding: string, maxBytes: number): Buffer | undefined {
  try {
    if (encoding === 'gzip') return zlib.gunzipSync(bytes, { maxOutputLength: maxBytes });
    if (encoding === 'br') return zlib.brotliDecompressSync(bytes, { maxOutputLength: maxBytes });
  } catch {
    // Corrupt or too large: Connect reads it itself and answers that.
  }
  return undefined;
}

type Check = (bytes: Uint8Array) => boolean;

/** Scans a whole JSON body: incrementally when plain, after decompression when compressed. */
export function unaryCheck(maxDepth: number, encoding: string, maxBytes: number) {
  const scanner = new JsonDepthScanner(maxDepth);
  const compressed: Buffer[] = [];
  return {
    chunk: (bytes: Uint8Array): boolean => {
      if (encoding === 'identity') return scanner.push(bytes);
      compressed.push(Buffer.from(bytes));
      return true;
    },
    end: (): boolean => {
      if (encoding === 'identity') return true;
      const plain = decompress(Buffer.concat(compressed), encoding, maxBytes);
      return plain === undefined || scanner.push(plain);
    },
  };
}

/** Scans each message of a Connect streaming body (5-byte envelope, then the JSON payload). */
function envelopeCheck(maxDepth: number, encoding: string, maxBytes: number) {
  let header: number[] = [];
  let remaining = 0;
  let flags = 0;
  let scanner = new JsonDepthScanner(maxDepth);
  let payload: Buffer[] = [];
  const check: Check = (bytes) => {
    let at = 0;
    while (at < bytes.length) {
      if (remaining === 0 && header.length < 5) {
        header.push(bytes[at++]!);
        if (header.length === 5) {
          flags = header[0]!;
          remaining = Buffer.from(header).readUInt32BE(1);
          scanner = new JsonDepthScanner(maxDepth);
          payload = [];
          if (remaining === 0) header = [];
        }
        continue;
      }
      const piece = bytes.subarray(at, at + remaining);
      at += piece.length;
      remaining -= piece.length;
      const compressed = (flags & 0b01) !== 0;
      if (compressed) payload.push(Buffer.from(piece));
      else if (!scanner.push(piece)) return false;
      if (remaining === 0) {
        header = [];
        if (compressed) {
          const plain = decompress(Buffer.concat(payload), encoding, maxBytes);
          if (plain !== undefined && !scanner.push(plain)) return false;
        }
      }
    }
    return true;
  };
  return { chunk: check, end: () => true };
}

/** What a Connect JSON request nested deeper than `maxDepth` is answered. */
export function jsonTooDeepError(maxDepth: number): ConnectError {
  return new ConnectError(`JSON nested deeper than ${maxDepth} levels`, Code.InvalidArgument);
}

/**
 * Refuses, with InvalidArgument and before Connect parses anything, a Connect JSON request
 * (unary `application/json` or streaming `application/connect+json`) nested deeper than
 * `maxDepth`. Other requests are returned untouched. The body stays a stream: Connect reads it
 * through the request's async iterator, which this wraps.
 */
export function guardJsonDepth(req: NodeRequest, maxDepth: number, maxBytes: number): NodeRequest {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const check =
    type === 'application/json'
      ? unaryCheck(maxDepth, String(req.headers['content-encoding'] ?? 'identity'), maxBytes)
      : type === 'application/connect+json'
        ? envelopeCheck(
            maxDepth,
            String(req.headers['connect-content-encoding'] ?? 'identity'),
            maxBytes,
          )
        : undefined;
  if (!check) return req;
  const tooDeep = () => jsonTooDeepError(maxDepth);
  const chunks = req[Symbol.asyncIterator].bind(req) as () => AsyncIterator<Buffer>;
  Object.defineProperty(req, Symbol.asyncIterator, {
    configurable: true,
    value: async function* scanned() {
      const source = chunks();
      let read = 0;
      for (;;) {
        const next = await source.next();
        if (next.done) break;
        read += next.value.byteLength;
        if (!check.chunk(next.value)) {
          // Read the rest (up to the body limit) so the connection stays usable for the client.
          while (read <= maxBytes) {
            const rest = await source.next();
            if (rest.done) break;
            read += rest.value.byteLength;
          }
          throw tooDeep();
        }
        yield next.value;
      }
      if (!check.end()) throw tooDeep();
    },
  });
  return req;
}
