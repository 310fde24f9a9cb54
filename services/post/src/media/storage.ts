import type { HttpHandler } from '@kith/runtime';

/** What an upload must carry, exactly (CreateUploadUrlResponse.required_headers). */
export interface UploadTerms {
  contentType: string;
  sizeBytes: number;
  /** Base64 SHA-256 the bytes must have; storage refuses others where it can. */
  sha256?: string;
}

/** A presigned upload: PUT the bytes to `url` with exactly `headers` before `expiresAt`. */
export interface SignedUpload {
  url: string;
  method: 'PUT';
  headers: Record<string, string>;
  expiresAt: Date;
}

/** A download link; `expiresAt` undefined when it does not expire (public media). */
export interface SignedDownload {
  url: string;
  expiresAt: Date | undefined;
}

/** How long a link lives, or a link that does not expire (avatars, public posts' media). */
export type LinkLife = { ttlMs: number } | { public: true };

/**
 * Where media objects live. Keys are relative, `/`-separated paths of [A-Za-z0-9._-]
 * segments (`assertBlobKey`). Two adapters pass one contract suite (storage.test.ts): the local
 * store under the data dir, its links served by the post process itself, and S3.
 */
export interface MediaStorage {
  readonly name: 'local' | 's3';
  /** A presigned PUT of one object. */
  signUpload(key: string, terms: UploadTerms, ttlMs: number): Promise<SignedUpload>;
  /** A link that serves the object as `contentType`. */
  signDownload(key: string, contentType: string, life: LinkLife): Promise<SignedDownload>;
  put(key: string, data: Uint8Array, contentType: string): Promise<void>;
  /** The object's bytes; undefined when there is none. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** The object's size in bytes; undefined when there is none. */
  size(key: string): Promise<number | undefined>;
  /** Deletes the objects; a missing one is no error. */
  delete(keys: readonly string[]): Promise<void>;
  /** Deletes every object under `prefix` (ending in `/`). */
  deletePrefix(prefix: string): Promise<void>;
  /** Plain HTTP routes the process must serve for the links to work (the local store's). */
  readonly http: Record<string, HttpHandler>;
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Throws unless `key` is a safe relative key (no `..`, no absolute path, no empty segment). */
export function assertMediaKey(key: string, { prefix = false } = {}): void {
  const segments = key.split('/');
  if (prefix) {
    if (segments.at(-1) !== '') throw new Error(`a prefix ends in "/": ${JSON.stringify(key)}`);
    segments.pop();
  }
  if (segments.length === 0 || !segments.every((s) => SEGMENT.test(s) && s !== '..')) {
    throw new Error(`invalid media key: ${JSON.stringify(key)}`);
  }
}
