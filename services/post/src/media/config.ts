import path from 'node:path';
import { envBool, envUrl, loadEnv } from '@kith/config';
import type { Logger } from '@kith/logging';
import type { ServiceContext } from '@kith/runtime';
import { z } from 'zod';
import { packagedTools } from './ffmpeg.js';
import type { FfmpegTools } from './ffmpeg.js';
import { localMediaStorage } from './local-storage.js';
import { s3MediaStorage } from './s3-storage.js';
import type { MediaStorage } from './storage.js';

/** The media area's settings. S3 when POST_MEDIA_S3_BUCKET is set; the local store otherwise. */
export const mediaEnvSchema = z.object({
  /** Local store: where the objects live; default `<data dir>/media`. */
  POST_MEDIA_DIR: z.string().min(1).optional(),
  /**
   * Local store: 32+ bytes, base64, signing its upload and download links. Derived per data
   * dir in embedded mode; needed when distributed without S3.
   */
  POST_MEDIA_URL_SECRET: z
    .string()
    .transform((raw, ctx) => {
      const key = Buffer.from(raw, 'base64');
      if (key.length < 32) {
        ctx.addIssue({ code: 'custom', message: 'must be at least 32 bytes, base64-encoded' });
        return z.NEVER;
      }
      return key;
    })
    .optional(),
  /** Local store: the public origin its links point at (the API as clients reach it). */
  POST_MEDIA_BASE_URL: envUrl({ protocols: ['http', 'https'] }).optional(),
  POST_MEDIA_S3_BUCKET: z.string().min(1).optional(),
  POST_MEDIA_S3_REGION: z.string().min(1).default('us-east-1'),
  /** An S3-compatible endpoint; AWS's own when unset. */
  POST_MEDIA_S3_ENDPOINT: envUrl({ protocols: ['http', 'https'] }).optional(),
  POST_MEDIA_S3_FORCE_PATH_STYLE: envBool().default(false),
  /** Static credentials (both or neither); the SDK's default chain otherwise. */
  POST_MEDIA_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  POST_MEDIA_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** A CDN origin serving the bucket: public media get unsigned links that never expire. */
  POST_MEDIA_S3_PUBLIC_URL: envUrl({ protocols: ['http', 'https'] }).optional(),
  /** ffmpeg and ffprobe to use instead of the packaged static builds (e.g. Debian's). */
  POST_FFMPEG_PATH: z.string().min(1).optional(),
  POST_FFPROBE_PATH: z.string().min(1).optional(),
});

/** The ffmpeg and ffprobe binaries the settings choose. */
export function mediaToolsFromEnv(ctx: Pick<ServiceContext, 'env'>): FfmpegTools {
  const env = loadEnv(mediaEnvSchema, ctx.env);
  const packaged = packagedTools();
  return {
    ffmpeg: env.POST_FFMPEG_PATH ?? packaged.ffmpeg,
    ffprobe: env.POST_FFPROBE_PATH ?? packaged.ffprobe,
  };
}

/** The store the settings choose; undefined (with the reason) when none can work. */
export function mediaStorageFromEnv(
  ctx: Pick<ServiceContext, 'env' | 'config' | 'derivedSecret' | 'clock'>,
  logger: Logger,
): { storage: MediaStorage } | { unavailable: string } {
  const env = loadEnv(mediaEnvSchema, ctx.env);
  if (env.POST_MEDIA_S3_BUCKET) {
    const keyId = env.POST_MEDIA_S3_ACCESS_KEY_ID;
    const secret = env.POST_MEDIA_S3_SECRET_ACCESS_KEY;
    if ((keyId === undefined) !== (secret === undefined)) {
      throw new Error(
        'post media settings: set both POST_MEDIA_S3_ACCESS_KEY_ID and POST_MEDIA_S3_SECRET_ACCESS_KEY, or neither',
      );
    }
    return {
      storage: s3MediaStorage({
        bucket: env.POST_MEDIA_S3_BUCKET,
        region: env.POST_MEDIA_S3_REGION,
        endpoint: env.POST_MEDIA_S3_ENDPOINT,
        forcePathStyle: env.POST_MEDIA_S3_FORCE_PATH_STYLE,
        credentials: keyId && secret ? { accessKeyId: keyId, secretAccessKey: secret } : undefined,
        publicUrl: env.POST_MEDIA_S3_PUBLIC_URL,
      }),
    };
  }
  const secret = env.POST_MEDIA_URL_SECRET ?? ctx.derivedSecret('post.media-links');
  if (!secret) {
    return {
      unavailable:
        'media storage is not configured: set POST_MEDIA_S3_BUCKET, or POST_MEDIA_URL_SECRET for the local store',
    };
  }
  const { host, port } = ctx.config.http;
  const publicHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    storage: localMediaStorage({
      root: env.POST_MEDIA_DIR ?? path.join(ctx.config.dataDir, 'media'),
      secret,
      baseUrl: env.POST_MEDIA_BASE_URL ?? `http://${publicHost}:${port}`,
      clock: ctx.clock,
      logger,
    }),
  };
}
