import crypto from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '@kith/logging';
import type { HttpHandler } from '@kith/runtime';
import { assertMediaKey } from './storage.js';
import type { MediaStorage } from './storage.js';

/** The routes the local store's links point at. */
export const UPLOAD_PATH = '/media/upload';
export const FILE_PATH = '/media/file';

export interface LocalStorageOptions {
  /** Directory the objects live under (`<data dir>/media` by default). */
  root: string;
  /** Signs and checks the links (32+ bytes). */
  secret: Buffer;
  /** Public origin the links point at: the post process as clients reach it. */
  baseUrl: string;
  clock: () => Date;
  logger: Logger;
}

type Fields = readonly string[];

function signatureOf(secret: Buffer, fields: Fields): Buffer {
  return crypto
    .createHmac('sha256', secret)
    .update(`kith.post.media\n${fields.join('\n')}`)
    .digest();
}

function validSignature(secret: Buffer, fields: Fields, given: string): boolean {
  const expected = signatureOf(secret, fields);
  const sig = Buffer.from(given, 'base64url');
  return sig.length === expected.length && crypto.timingSafeEqual(sig, expected);
}

function refuse(
  res: Parameters<HttpHandler>[1],
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'text/plain', 'cache-control': 'no-store', ...headers });
  res.end(`${text}\n`);
}

const validKey = (key: string) => {
  try {
    assertMediaKey(key);
    return true;
  } catch {
    return false;
  }
};

/**
 * The one byte range a `Range` header asks of an object of `size` bytes (RFC 9110 §14.1.2):
 * `bytes=a-b`, `bytes=a-` or `bytes=-n`; undefined for none, several, or another unit (the
 * whole object is served); 'unsatisfiable' when it starts past the end.
 */
export function byteRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  const m = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return undefined;
  return { start, end };
}

/**
 * Media objects as files under `root` (embedded mode), served by the post process itself:
 * `PUT /media/upload` takes an upload its signed link allows (content type, exact length and,
 * when declared, SHA-256 checked as the bytes arrive; nothing is written otherwise), and
 * `GET /media/file` serves an object its signed link names (whole, or the byte range asked),
 * until the link's expiry (public links carry none). The links bind every term with an HMAC over the data dir's secret.
 */
export function localMediaStorage(options: LocalStorageOptions): MediaStorage {
  const { root, secret, clock, logger } = options;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const fileOf = (key: string) => path.join(root, ...key.split('/'));

  async function writeFile(key: string, write: (file: string) => Promise<void>): Promise<void> {
    const file = fileOf(key);
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const temporary = `${file}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`;
    try {
      await write(temporary);
      await fs.rename(temporary, file);
    } catch (err) {
      await fs.rm(temporary, { force: true });
      throw err;
    }
  }

  const upload: HttpHandler = async (req, res) => {
    const q = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const [key, ct, len, sha, exp, sig] = ['key', 'ct', 'len', 'sha', 'exp', 'sig'].map(
      (name) => q.get(name) ?? '',
    ) as [string, string, string, string, string, string];
    if (
      !validKey(key) ||
      !/^\d{1,12}$/.test(len) ||
      !/^\d{1,16}$/.test(exp) ||
      !validSignature(secret, ['put', key, ct, len, sha, exp], sig)
    ) {
      return refuse(res, 403, 'this upload link is invalid');
    }
    if (Number(exp) <= clock().getTime()) return refuse(res, 403, 'this upload link has expired');
    if (req.headers['content-type'] !== ct) {
      return refuse(res, 400, `the upload must be sent with content-type ${ct}`);
    }
    const declared = req.headers['content-length'];
    if (declared === undefined) return refuse(res, 411, 'content-length is required');
    if (declared !== len) return refuse(res, 400, `the upload must be exactly ${len} bytes`);
    const size = Number(len);
    const hash = crypto.createHash('sha256');
    const chunks: Buffer[] = [];
    let received = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      received += chunk.length;
      if (received > size) return refuse(res, 413, `the upload must be exactly ${len} bytes`);
      hash.update(chunk);
      chunks.push(chunk);
    }
    if (received !== size) return refuse(res, 400, `the upload must be exactly ${len} bytes`);
    if (sha && hash.digest('base64') !== sha) {
      return refuse(res, 400, 'the bytes do not match the declared sha256');
    }
    try {
      await writeFile(key, (file) => fs.writeFile(file, Buffer.concat(chunks), { mode: 0o600 }));
    } catch (err) {
      logger.error({ err }, 'could not store an upload');
      return refuse(res, 500, 'internal error');
    }
    res.writeHead(200, { 'cache-control': 'no-store' });
    res.end();
  };

  const serve: HttpHandler = async (req, res) => {
    const q = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const [key, ct, exp, sig] = ['key', 'ct', 'exp', 'sig'].map((name) => q.get(name) ?? '') as [
      string,
      string,
      string,
      string,
    ];
    const life = exp === '' ? 'public' : exp;
    if (
      !validKey(key) ||
      (exp !== '' && !/^\d{1,16}$/.test(exp)) ||
      !validSignature(secret, ['get', key, ct, life], sig)
    ) {
      return refuse(res, 403, 'this link is invalid');
    }
    if (exp !== '' && Number(exp) <= clock().getTime()) {
      return refuse(res, 403, 'this link has expired: fetch the media again for a fresh one');
    }
    let size: number;
    try {
      size = (await fs.stat(fileOf(key))).size;
    } catch {
      return refuse(res, 404, 'not found');
    }
    const headers = {
      'content-type': ct,
      'accept-ranges': 'bytes',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'cache-control': exp === '' ? 'public, max-age=31536000, immutable' : 'private, no-store',
      'referrer-policy': 'no-referrer',
    };
    // Players fetch video and audio by byte ranges (Safari plays nothing without them).
    const range = byteRange(req.headers.range, size);
    if (range === 'unsatisfiable') {
      res.writeHead(416, { ...headers, 'content-range': `bytes */${size}` });
      res.end();
      return;
    }
    if (range) {
      res.writeHead(206, {
        ...headers,
        'content-length': String(range.end - range.start + 1),
        'content-range': `bytes ${range.start}-${range.end}/${size}`,
      });
    } else {
      res.writeHead(200, { ...headers, 'content-length': String(size) });
    }
    try {
      await pipeline(createReadStream(fileOf(key), range), res as NodeJS.WritableStream);
    } catch (err) {
      logger.warn({ err }, 'a media download ended early');
    }
  };

  return {
    name: 'local',
    async signUpload(key, terms, ttlMs) {
      assertMediaKey(key);
      const expiresAt = new Date(clock().getTime() + ttlMs);
      const fields = [
        'put',
        key,
        terms.contentType,
        String(terms.sizeBytes),
        terms.sha256 ?? '',
        String(expiresAt.getTime()),
      ];
      const query = new URLSearchParams({
        key,
        ct: terms.contentType,
        len: String(terms.sizeBytes),
        ...(terms.sha256 ? { sha: terms.sha256 } : {}),
        exp: String(expiresAt.getTime()),
        sig: signatureOf(secret, fields).toString('base64url'),
      });
      return {
        url: `${baseUrl}${UPLOAD_PATH}?${query.toString()}`,
        method: 'PUT',
        headers: { 'content-type': terms.contentType, 'content-length': String(terms.sizeBytes) },
        expiresAt,
      };
    },
    async signDownload(key, contentType, life) {
      assertMediaKey(key);
      const expiresAt = 'ttlMs' in life ? new Date(clock().getTime() + life.ttlMs) : undefined;
      const exp = expiresAt ? String(expiresAt.getTime()) : '';
      const sig = signatureOf(secret, ['get', key, contentType, exp || 'public']);
      const query = new URLSearchParams({
        key,
        ct: contentType,
        ...(exp ? { exp } : {}),
        sig: sig.toString('base64url'),
      });
      return { url: `${baseUrl}${FILE_PATH}?${query.toString()}`, expiresAt };
    },
    async put(key, data) {
      assertMediaKey(key);
      await writeFile(key, (file) => fs.writeFile(file, data, { mode: 0o600 }));
    },
    async get(key) {
      assertMediaKey(key);
      try {
        return new Uint8Array(await fs.readFile(fileOf(key)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    async size(key) {
      assertMediaKey(key);
      try {
        return (await fs.stat(fileOf(key))).size;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    async delete(keys) {
      for (const key of keys) {
        assertMediaKey(key);
        await fs.rm(fileOf(key), { force: true });
      }
    },
    async deletePrefix(prefix) {
      assertMediaKey(prefix, { prefix: true });
      await fs.rm(fileOf(prefix), { recursive: true, force: true });
    },
    http: { [`PUT ${UPLOAD_PATH}`]: upload, [`GET ${FILE_PATH}`]: serve },
  };
}
