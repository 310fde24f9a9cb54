import fs from 'node:fs/promises';
import path from 'node:path';
import { MediaKind } from '@kith/gen/kith/post/v1/media_pb.js';
import sharp from 'sharp';
import { DEMUXER, inputArgs, probe, runTool, ToolFailed } from './ffmpeg.js';
import type { FfmpegTools, Probe } from './ffmpeg.js';
import { checkUpload, previewOf, RefusedUpload } from './process-image.js';
import type { ProcessedImage } from './process-image.js';

/** The kinds transcoded with ffmpeg (everything but images). */
export type AvKind = MediaKind.GIF | MediaKind.VIDEO | MediaKind.AUDIO;

interface KindRules {
  /** Types detected from the bytes this kind accepts. */
  accepts: readonly string[];
  /** What to tell a client whose file is something else. */
  expected: string;
  /** The longest accepted, in seconds. */
  maxSeconds: number;
  /** How long its transcoding may run before it is killed (and the file refused). */
  timeoutSeconds: number;
}

const RULES: Record<AvKind, KindRules> = {
  // Served as video: held to the video cap as well as the 10 MiB size cap.
  [MediaKind.GIF]: {
    accepts: ['image/gif'],
    expected: 'a GIF',
    maxSeconds: 180,
    timeoutSeconds: 300,
  },
  // QuickTime is the MP4 family (what phones record); it is transcoded like MP4.
  [MediaKind.VIDEO]: {
    accepts: ['video/mp4', 'video/quicktime', 'video/webm'],
    expected: 'an MP4 or WebM video',
    maxSeconds: 180,
    timeoutSeconds: 900,
  },
  [MediaKind.AUDIO]: {
    accepts: ['audio/mpeg', 'audio/ogg', 'audio/opus', 'audio/x-m4a', 'audio/mp4', 'video/mp4'],
    expected: 'an MP3, Ogg or M4A audio file',
    maxSeconds: 600,
    timeoutSeconds: 300,
  },
};

/** The largest frame accepted (width × height, from the probe, before any frame is decoded). */
export const MAX_FRAME_PIXELS = 4096 * 4096;
/** The longest side of a served video; larger ones are scaled down. */
export const MAX_VIDEO_SIDE = 1920;
/** What a processed GIF or video is served as, and a processed audio file. */
export const VIDEO_TYPE = 'video/mp4';
export const AUDIO_TYPE = 'audio/mpeg';

export interface ProcessedAv {
  /** Base64 SHA-256 of the bytes as uploaded. */
  sha256: string;
  /** The served file, written to `file`. */
  file: string;
  contentType: string;
  sizeBytes: number;
  width: number;
  height: number;
  durationMs: number;
  /** A still frame (GIF and video), with its BlurHash. */
  preview: { thumbnail: ProcessedImage['thumbnail']; blurhash: string } | undefined;
}

const probeTimeoutMs = 30_000;

/** The longest one item's processing can run (probes, the transcoding, the still). */
export const MAX_PROCESSING_MS =
  Math.max(...Object.values(RULES).map((r) => r.timeoutSeconds * 1000)) + 3 * probeTimeoutMs;

/**
 * Checks and transcodes an uploaded GIF, video or audio file in `workDir` (the caller
 * removes it): the exact declared size and SHA-256, the type from the magic bytes, then
 * ffprobe (with the demuxer of that type forced) for the streams, the frame size and the
 * duration, refused over their limits before any frame is decoded; then one ffmpeg pass
 * with every metadata tag, chapter and extra stream dropped: GIF → a silent H.264 MP4,
 * video → H.264 and AAC in MP4 (at most 1920 px a side), audio → MP3. The output is cut at
 * the limit whatever the container claimed. Throws RefusedUpload for what the client must fix.
 */
export async function processAv(
  tools: FfmpegTools,
  kind: AvKind,
  bytes: Uint8Array,
  declared: { sizeBytes: number; sha256: string },
  workDir: string,
  signal?: AbortSignal,
): Promise<ProcessedAv> {
  const rules = RULES[kind];
  const { sha256, detected } = await checkUpload(bytes, declared);
  if (!detected || !rules.accepts.includes(detected)) {
    throw new RefusedUpload(`the file is not ${rules.expected}`);
  }
  const demuxer = DEMUXER[detected]!;
  const input = path.join(workDir, 'input');
  await fs.writeFile(input, bytes);
  let probed: Probe;
  try {
    probed = await probe(tools, demuxer, input, { timeoutMs: probeTimeoutMs, signal });
  } catch (err) {
    if (err instanceof ToolFailed && err.reason === 'exit') {
      throw new RefusedUpload(`the file could not be read as ${rules.expected}`);
    }
    throw err;
  }
  const video = probed.streams.find(
    (s) => s.codec_type === 'video' && !s.disposition?.attached_pic,
  );
  const audio = probed.streams.find((s) => s.codec_type === 'audio');
  if (kind === MediaKind.AUDIO ? !audio : !video) {
    throw new RefusedUpload(`the file has no ${kind === MediaKind.AUDIO ? 'audio' : 'video'}`);
  }
  if (video && kind !== MediaKind.AUDIO) {
    const pixels = (video.width ?? 0) * (video.height ?? 0);
    if (pixels === 0) throw new RefusedUpload('the video has no frame size');
    if (pixels > MAX_FRAME_PIXELS) {
      throw new RefusedUpload('the frames are larger than 4096 × 4096 pixels');
    }
  }
  // A still GIF has no duration: it is one frame.
  const seconds = Number.isFinite(probed.duration) ? probed.duration : 0;
  if (seconds > rules.maxSeconds) {
    throw new RefusedUpload(`the file is longer than ${formatLimit(rules.maxSeconds)}`);
  }

  const output = path.join(workDir, kind === MediaKind.AUDIO ? 'out.mp3' : 'out.mp4');
  const timeoutMs = rules.timeoutSeconds * 1000;
  try {
    await runTool(
      tools.ffmpeg,
      [
        ...inputArgs(demuxer, input),
        ...outputArgs(kind, Boolean(audio)),
        '-t',
        String(rules.maxSeconds),
        '-threads',
        '2',
        '-y',
        output,
      ],
      { timeoutMs, signal },
    );
  } catch (err) {
    if (err instanceof ToolFailed && err.reason === 'exit') {
      throw new RefusedUpload(`the file could not be decoded as ${rules.expected}`);
    }
    if (err instanceof ToolFailed && err.reason === 'timeout') {
      throw new RefusedUpload('the file took too long to process');
    }
    throw err;
  }
  const served = await probe(tools, kind === MediaKind.AUDIO ? 'mp3' : 'mov', output, {
    timeoutMs: probeTimeoutMs,
    signal,
  });
  const servedVideo = served.streams.find((s) => s.codec_type === 'video');
  const preview =
    kind === MediaKind.AUDIO ? undefined : await stillOf(tools, output, workDir, signal);
  return {
    sha256,
    file: output,
    contentType: kind === MediaKind.AUDIO ? AUDIO_TYPE : VIDEO_TYPE,
    sizeBytes: (await fs.stat(output)).size,
    width: servedVideo?.width ?? 0,
    height: servedVideo?.height ?? 0,
    durationMs: Number.isFinite(served.duration) ? Math.round(served.duration * 1000) : 0,
    preview,
  };
}

/** The ffmpeg output options of each kind: no metadata, chapters, subtitles or data streams. */
function outputArgs(kind: AvKind, hasAudio: boolean): string[] {
  const clean = [
    '-map_metadata',
    '-1',
    '-map_chapters',
    '-1',
    '-sn',
    '-dn',
    '-fflags',
    '+bitexact',
  ];
  if (kind === MediaKind.AUDIO) {
    // MP3 without an ID3 tag: no title, artist or cover art of the original survives.
    return [
      ...clean,
      '-map',
      '0:a:0',
      '-vn',
      '-c:a',
      'libmp3lame',
      '-q:a',
      '2',
      '-id3v2_version',
      '0',
      '-write_id3v1',
      '0',
      '-f',
      'mp3',
    ];
  }
  const fit = `scale=w='min(${MAX_VIDEO_SIDE},iw)':h='min(${MAX_VIDEO_SIDE},ih)':force_original_aspect_ratio=decrease`;
  const videoArgs = [
    '-map',
    '0:v:0',
    // Even dimensions: what yuv420p H.264 needs.
    '-vf',
    `${fit},scale=trunc(iw/2)*2:trunc(ih/2)*2`,
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '23',
    '-pix_fmt',
    'yuv420p',
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
  ];
  if (kind === MediaKind.GIF || !hasAudio) return [...clean, ...videoArgs, '-an'];
  return [...clean, ...videoArgs, '-map', '0:a:0', '-c:a', 'aac', '-b:a', '128k', '-ac', '2'];
}

/** The served video's first frame as a thumbnail with its BlurHash. */
async function stillOf(
  tools: FfmpegTools,
  video: string,
  workDir: string,
  signal?: AbortSignal,
): Promise<ProcessedAv['preview']> {
  const still = path.join(workDir, 'still.png');
  await runTool(
    tools.ffmpeg,
    [...inputArgs('mov', video), '-frames:v', '1', '-f', 'image2', '-c:v', 'png', '-y', still],
    { timeoutMs: probeTimeoutMs, signal },
  );
  return previewOf(sharp(await fs.readFile(still)));
}

const formatLimit = (seconds: number) =>
  seconds % 60 === 0 ? `${seconds / 60} minutes` : `${seconds} seconds`;
