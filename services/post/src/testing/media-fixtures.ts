// Images and uploads for the media tests: pictures made with sharp (one with EXIF and GPS
// tags), a 20000×20000 PNG a few dozen kilobytes long built by hand, and the client's side of
// an upload (CreateUploadUrl, the PUT with the required headers, CompleteUpload).
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { MediaKind } from '@kith/gen/kith/post/v1/media_pb.js';
import type { Media } from '@kith/gen/kith/post/v1/media_pb.js';
import sharp from 'sharp';
import { packagedTools, runTool } from '../media/ffmpeg.js';
import type { Person } from './post-harness.js';

/** The purge of unheld media, for tests in other services that hold media (moderation). */
export { MEDIA_PURGE_AFTER_MS, purgeUnheldMedia } from '../media/media.js';

/** A colour gradient (so it compresses like a photo, not a flat colour), as `format`. */
export async function picture(
  width: number,
  height: number,
  format: 'jpeg' | 'png' = 'png',
): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[i] = (x * 255) / width;
      raw[i + 1] = (y * 255) / height;
      raw[i + 2] = 128;
    }
  }
  const image = sharp(raw, { raw: { width, height, channels: 3 } });
  return format === 'jpeg' ? image.jpeg().toBuffer() : image.png().toBuffer();
}

/** The camera maker and GPS position the EXIF test plants. */
export const PLANTED = { make: 'AcmeCam', latitude: 51.5 };

/** A JPEG carrying EXIF tags: a camera maker and a GPS position. */
export async function jpegWithGps(width = 320, height = 240): Promise<Buffer> {
  return sharp(await picture(width, height, 'jpeg'))
    .jpeg()
    .withExif({
      IFD0: { Make: PLANTED.make, Model: 'Leaky 1' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '51/1 30/1 0/1',
        GPSLongitudeRef: 'W',
        GPSLongitude: '0/1 7/1 0/1',
      },
    })
    .toBuffer();
}

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A valid black-and-white PNG of `side` × `side` pixels, all black: its deflated rows make a
 * file of a few dozen kilobytes, whose full decode would take gigabytes.
 */
export function hugePng(side = 20_000): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header[8] = 1; // bit depth
  header[9] = 0; // greyscale
  const rows = Buffer.alloc((1 + Math.ceil(side / 8)) * side);
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', zlib.deflateSync(rows, { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

export const sha256Of = (data: Uint8Array) =>
  crypto.createHash('sha256').update(data).digest('base64');

/**
 * Where a link really points: the local store's links name the process's configured origin,
 * which in the harness is port 0, so they are sent to the process's own URL.
 */
export function reachable(url: string, processUrl: string): string {
  const link = new URL(url);
  return link.port === '0' ? `${processUrl}${link.pathname}${link.search}` : url;
}

/** CreateUploadUrl and the PUT of `data` with the required headers; the media id. */
export async function uploadOnly(
  person: Person,
  processUrl: string,
  data: Uint8Array,
  contentType: string,
  options: { sha256?: string; sizeBytes?: number; kind?: MediaKind } = {},
): Promise<string> {
  const upload = await person.posts.createUploadUrl({
    kind: options.kind ?? MediaKind.IMAGE,
    contentType,
    sizeBytes: BigInt(options.sizeBytes ?? data.length),
    sha256: options.sha256 ?? '',
  });
  const res = await fetch(reachable(upload.uploadUrl, processUrl), {
    method: upload.method,
    headers: upload.requiredHeaders,
    body: data,
  });
  if (res.status !== 200) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
  return upload.mediaId;
}

/** An upload completed: the media as CompleteUpload answers it. */
export async function uploaded(
  person: Person,
  processUrl: string,
  data: Uint8Array,
  contentType: string,
  options: { altText?: string; sha256?: string; kind?: MediaKind } = {},
): Promise<Media> {
  const mediaId = await uploadOnly(person, processUrl, data, contentType, options);
  const { media } = await person.posts.completeUpload({ mediaId, altText: options.altText ?? '' });
  if (!media) throw new Error('CompleteUpload answered no media');
  return media;
}

/** The tags the audio and video fixtures carry: a place, a title, an artist. */
export const PLANTED_TAGS = {
  location: '+51.5000-000.1167/',
  title: 'Secret meeting',
  artist: 'Leaky Phone',
};

/**
 * A GIF, video or audio file made by ffmpeg from its test sources (a moving pattern, a sine
 * tone): `seconds` long, `side` px wide (3:4), carrying PLANTED_TAGS where the format can.
 */
export async function avFile(
  format: 'gif' | 'mp4' | 'webm' | 'mp3' | 'ogg',
  options: { seconds?: number; side?: number; fps?: number } = {},
): Promise<Buffer> {
  const seconds = options.seconds ?? 1;
  const side = options.side ?? 64;
  const video = `testsrc=size=${side}x${(side * 3) / 4}:rate=${options.fps ?? 10}:duration=${seconds}`;
  const tone = `sine=frequency=440:duration=${seconds}`;
  const tags = Object.entries(PLANTED_TAGS).flatMap(([k, v]) => ['-metadata', `${k}=${v}`]);
  const picture = ['-f', 'lavfi', '-i', video];
  const sound = ['-f', 'lavfi', '-i', tone];
  const args: Record<typeof format, string[]> = {
    gif: [...picture, '-loop', '0', '-f', 'gif'],
    mp4: [...picture, ...sound, ...tags, '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac'],
    webm: [...picture, ...sound, '-c:v', 'libvpx', '-c:a', 'libopus'],
    mp3: [...sound, ...tags, '-c:a', 'libmp3lame', '-f', 'mp3'],
    ogg: [...sound, ...tags, '-c:a', 'libvorbis', '-f', 'ogg'],
  };
  // Video formats: as long as the shorter stream.
  const end = format === 'mp4' || format === 'webm' ? ['-shortest', '-f', format] : [];
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kith-av-fixture-'));
  try {
    const file = path.join(dir, `fixture.${format}`);
    await runTool(packagedTools().ffmpeg, ['-v', 'error', ...args[format], ...end, '-y', file], {
      timeoutMs: 60_000,
    });
    return await fs.readFile(file);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** The container's tags and the streams' types of a served file (ffprobe). */
export async function probeServed(
  data: Uint8Array,
): Promise<{ tags: Record<string, string>; streams: string[]; duration: number }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kith-av-probe-'));
  try {
    const file = path.join(dir, 'served');
    await fs.writeFile(file, data);
    const out = await runTool(
      packagedTools().ffprobe,
      ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file],
      { timeoutMs: 30_000 },
    );
    const parsed = JSON.parse(out.toString('utf8')) as {
      format: { tags?: Record<string, string>; duration?: string };
      streams: { codec_type: string; tags?: Record<string, string> }[];
    };
    const tags = { ...parsed.format.tags };
    for (const s of parsed.streams) Object.assign(tags, s.tags);
    return {
      tags,
      streams: parsed.streams.map((s) => s.codec_type),
      duration: Number(parsed.format.duration),
    };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
