import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { assertMediaKey } from './storage.js';
import type { MediaStorage } from './storage.js';

export interface S3StorageOptions {
  bucket: string;
  region: string;
  /** An S3-compatible endpoint (tests: s3rver); AWS's own when unset. */
  endpoint?: string;
  forcePathStyle?: boolean;
  /** Static credentials; the SDK's default chain (env, profile, instance role) when unset. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /**
   * Origin that serves the bucket's objects without a signature (a CDN): public media
   * (avatars, public posts' media) get `<publicUrl>/<key>` links that never expire. Unset:
   * every link is presigned and expires.
   */
  publicUrl?: string;
}

/** The longest a presigned S3 link may live (SigV4's limit). */
const MAX_PRESIGN_SEC = 7 * 24 * 3600;

const missing = (err: unknown) =>
  err instanceof S3ServiceException &&
  (err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata.httpStatusCode === 404);

/**
 * Media objects in an S3 bucket. Uploads go straight to the bucket with a presigned PUT that
 * signs the content type and length (and carries the SHA-256 checksum header when declared,
 * which S3 verifies); downloads are presigned GETs, or plain CDN links for public media when
 * `publicUrl` is set. Presigning uses the real clock, as the bucket checks expiry by its own.
 */
export function s3MediaStorage(options: S3StorageOptions): MediaStorage {
  const { bucket } = options;
  const client = new S3Client({
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle ?? false,
    credentials: options.credentials,
    // Checksums only where S3 requires them (DeleteObjects): S3-compatible servers may not
    // understand the streaming trailers the SDK adds otherwise.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const publicUrl = options.publicUrl?.replace(/\/+$/, '');
  const seconds = (ms: number) => Math.max(1, Math.min(MAX_PRESIGN_SEC, Math.ceil(ms / 1000)));

  async function deleteKeys(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const out = await client.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const failed = (out.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length > 0) {
        throw new Error(`could not delete ${failed.length} media objects: ${failed[0]?.Code}`);
      }
    }
  }

  return {
    name: 's3',
    async signUpload(key, terms, ttlMs) {
      assertMediaKey(key);
      const expiresIn = seconds(ttlMs);
      const signedAt = Date.now();
      const url = await getSignedUrl(
        client,
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          ContentType: terms.contentType,
          ContentLength: terms.sizeBytes,
          ...(terms.sha256 ? { ChecksumSHA256: terms.sha256 } : {}),
        }),
        {
          expiresIn,
          signableHeaders: new Set(['content-type', 'content-length']),
          // Sent as a header, so S3 checks the bytes against it.
          unhoistableHeaders: new Set(['x-amz-checksum-sha256']),
        },
      );
      return {
        url,
        method: 'PUT',
        headers: {
          'content-type': terms.contentType,
          'content-length': String(terms.sizeBytes),
          ...(terms.sha256 ? { 'x-amz-checksum-sha256': terms.sha256 } : {}),
        },
        expiresAt: new Date(signedAt + expiresIn * 1000),
      };
    },
    async signDownload(key, contentType, life) {
      assertMediaKey(key);
      if ('public' in life && publicUrl) {
        return { url: `${publicUrl}/${key}`, expiresAt: undefined };
      }
      const expiresIn = seconds('ttlMs' in life ? life.ttlMs : MAX_PRESIGN_SEC * 1000);
      const signedAt = Date.now();
      const url = await getSignedUrl(
        client,
        new GetObjectCommand({ Bucket: bucket, Key: key, ResponseContentType: contentType }),
        { expiresIn },
      );
      return { url, expiresAt: new Date(signedAt + expiresIn * 1000) };
    },
    async put(key, data, contentType) {
      assertMediaKey(key);
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: data, ContentType: contentType }),
      );
    },
    async get(key) {
      assertMediaKey(key);
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
      } catch (err) {
        if (missing(err)) return undefined;
        throw err;
      }
    },
    async size(key) {
      assertMediaKey(key);
      try {
        const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return out.ContentLength ?? 0;
      } catch (err) {
        if (missing(err)) return undefined;
        throw err;
      }
    },
    async delete(keys) {
      keys.forEach((key) => assertMediaKey(key));
      await deleteKeys(keys);
    },
    async deletePrefix(prefix) {
      assertMediaKey(prefix, { prefix: true });
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : []));
        if (keys.length > 0) await deleteKeys(keys);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
    http: {},
  };
}
