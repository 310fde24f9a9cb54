import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createPollingLoop } from '@kith/db';
import { MediaKind } from '@kith/gen/kith/post/v1/media_pb.js';
import type { Daemon } from '@kith/runtime';
import type { PostApp } from '../app.js';
import { MEDIA_STATUS } from '../db/schema.js';
import { ToolFailed } from './ffmpeg.js';
import { failMedia } from './media.js';
import { finishProcessing, leaseNextTranscode, releaseTranscodeLease } from './media-store.js';
import type { MediaRow } from './media-store.js';
import { MAX_PROCESSING_MS, processAv } from './process-av.js';
import type { AvKind, ProcessedAv } from './process-av.js';
import { RefusedUpload, SERVED_TYPE } from './process-image.js';
import { mediaPrefix } from './runtime.js';

/** A worker holds an item this long; past it, another worker takes it over. */
export const TRANSCODE_LEASE_MS = MAX_PROCESSING_MS + 5 * 60_000;
/** How often a worker looks for work it was not woken for (other replicas', a dead worker's). */
export const TRANSCODE_POLL_MS = 5_000;
/** An item taken this many times without an outcome ends FAILED. */
export const MAX_TRANSCODE_ATTEMPTS = 3;
/** After an unexpected error (storage down), the item waits this long before another try. */
export const TRANSCODE_RETRY_MS = 60_000;

/**
 * The transcoding worker (ADR 0022): one GIF, video or audio item at a time per process,
 * taken from the PROCESSING queue in Postgres under a lease, so that any replica may take it
 * and one that dies mid-way leaves it to the next once the lease lapses. Woken by
 * CompleteUpload in the same process; polls for the rest. Stopping kills the running ffmpeg
 * and gives its item back.
 */
export function mediaTranscoder(app: PostApp): Daemon {
  let abort = new AbortController();
  const loop = createPollingLoop({
    batchSize: 1,
    pollMs: TRANSCODE_POLL_MS,
    onError: (err) => app.logger.error({ err }, 'media transcoding failed'),
    pass: () => transcodeNext(app, abort.signal),
  });
  app.media.queued.onNotify(() => loop.wake());
  return {
    name: 'post-media-transcoder',
    start() {
      abort = new AbortController();
      loop.start();
    },
    async stop() {
      abort.abort();
      await loop.stop();
    },
  };
}

/** Takes and processes the next queued item, if any; how many (0 or 1). */
export async function transcodeNext(app: PostApp, signal?: AbortSignal): Promise<number> {
  const storage = app.media.storage;
  if (!storage) return 0;
  const db = app.database.db;
  const now = app.clock();
  const row = await leaseNextTranscode(db, now, new Date(now.getTime() + TRANSCODE_LEASE_MS));
  if (!row) return 0;
  const fail = (reason: string) => failMedia(app, row, reason);
  if (row.attempts > MAX_TRANSCODE_ATTEMPTS) {
    app.logger.warn({ mediaId: row.id, attempts: row.attempts }, 'media transcoding gave up');
    await fail('the file could not be processed');
    return 1;
  }
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kith-media-'));
  const started = performance.now();
  try {
    const bytes = await storage.get(row.upload_key);
    if (!bytes) {
      await fail('the upload is gone: upload the file again');
      return 1;
    }
    const done = await processAv(
      app.media.tools,
      row.kind as AvKind,
      bytes,
      { sizeBytes: row.declared_size, sha256: row.declared_sha256 },
      workDir,
      signal,
    );
    await storeProcessed(app, row, done);
    app.logger.info(
      { mediaId: row.id, kind: MediaKind[row.kind], ms: Math.round(performance.now() - started) },
      'media transcoded',
    );
  } catch (err) {
    if (err instanceof RefusedUpload) {
      await fail(err.message);
    } else if (err instanceof ToolFailed && err.reason === 'aborted') {
      await releaseTranscodeLease(db, row.id, null);
    } else {
      await releaseTranscodeLease(db, row.id, new Date(now.getTime() + TRANSCODE_RETRY_MS));
      throw err;
    }
  } finally {
    await fs.rm(workDir, { recursive: true, force: true });
  }
  return 1;
}

/** Writes the served file and its still under fresh names; the item READY; the upload deleted. */
async function storeProcessed(app: PostApp, row: MediaRow, done: ProcessedAv): Promise<void> {
  const storage = app.media.storage!;
  const name = crypto.randomBytes(16).toString('hex');
  const prefix = mediaPrefix(row.owner_id, row.id);
  const objectKey = `${prefix}${name}${done.contentType === 'audio/mpeg' ? '.mp3' : '.mp4'}`;
  await storage.put(objectKey, await fs.readFile(done.file), done.contentType);
  let thumbnailKey = '';
  if (done.preview) {
    thumbnailKey = `${prefix}${name}-thumb.webp`;
    await storage.put(thumbnailKey, done.preview.thumbnail.data, SERVED_TYPE);
  }
  const finished = await finishProcessing(app.database.db, row.id, {
    status: MEDIA_STATUS.READY,
    content_type: done.contentType,
    size_bytes: done.sizeBytes,
    width: done.width,
    height: done.height,
    duration_ms: done.durationMs,
    object_key: objectKey,
    thumbnail_key: thumbnailKey,
    blurhash: done.preview?.blurhash ?? '',
    sha256: done.sha256,
    leased_until: null,
  });
  // Erased or purged meanwhile: what was just written goes too.
  if (!finished) await storage.delete([objectKey, thumbnailKey].filter(Boolean));
  // The original (with whatever metadata it carried) is never kept.
  await storage.delete([row.upload_key]);
}
