import { UnavailableError } from '@kith/errors';
import type { Logger } from '@kith/logging';
import type { ServiceContext } from '@kith/runtime';
import { mediaStorageFromEnv, mediaToolsFromEnv } from './config.js';
import type { FfmpegTools } from './ffmpeg.js';
import type { MediaStorage } from './storage.js';

/** How many images are decoded and re-encoded at once in one process (memory and CPU bound). */
export const PROCESSING_SLOTS = 2;

/** The media area's collaborators, built once per process. */
export interface MediaRuntime {
  /** Undefined when no store is configured (distributed without S3 or a link secret). */
  storage: MediaStorage | undefined;
  /** Why there is no store. */
  unavailable: string | undefined;
  /** Runs `fn` when a processing slot is free. */
  slot<T>(fn: () => Promise<T>): Promise<T>;
  /** ffmpeg and ffprobe, for GIF, video and audio. */
  tools: FfmpegTools;
  /** Tells this process's transcoding worker that an item was queued (ADR 0022). */
  queued: TranscodeSignal;
}

/** A wake-up from CompleteUpload to the transcoding worker of the same process. */
export class TranscodeSignal {
  private listener: (() => void) | undefined;
  notify(): void {
    this.listener?.();
  }
  onNotify(listener: () => void): void {
    this.listener = listener;
  }
}

function slots(size: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    if (running >= size) await new Promise<void>((resolve) => waiting.push(resolve));
    else running += 1;
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  };
}

export function createMediaRuntime(
  ctx: Pick<ServiceContext, 'env' | 'config' | 'derivedSecret' | 'clock'>,
  logger: Logger,
): MediaRuntime {
  const chosen = mediaStorageFromEnv(ctx, logger);
  if ('unavailable' in chosen) logger.error(chosen.unavailable);
  return {
    storage: 'storage' in chosen ? chosen.storage : undefined,
    unavailable: 'unavailable' in chosen ? chosen.unavailable : undefined,
    slot: slots(PROCESSING_SLOTS),
    tools: mediaToolsFromEnv(ctx),
    queued: new TranscodeSignal(),
  };
}

/** The store, or Unavailable when none is configured. */
export function storageOf(media: MediaRuntime): MediaStorage {
  if (!media.storage) throw new UnavailableError('media uploads are not configured on this server');
  return media.storage;
}

/** Where every object of one media item lives (deleted together by prefix). */
export const mediaPrefix = (ownerId: string, mediaId: string) => `media/${ownerId}/${mediaId}/`;
