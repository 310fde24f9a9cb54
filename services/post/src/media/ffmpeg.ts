import { spawn } from 'node:child_process';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import ffprobeInstaller from '@ffprobe-installer/ffprobe';

/** The ffmpeg and ffprobe binaries: POST_FFMPEG_PATH / POST_FFPROBE_PATH, or the packaged ones. */
export interface FfmpegTools {
  ffmpeg: string;
  ffprobe: string;
}

export const packagedTools = (): FfmpegTools => ({
  ffmpeg: ffmpegInstaller.path,
  ffprobe: ffprobeInstaller.path,
});

/** A tool that exited non-zero, was killed at its deadline, or was aborted. */
export class ToolFailed extends Error {
  constructor(
    message: string,
    readonly reason: 'exit' | 'timeout' | 'aborted',
  ) {
    super(message);
  }
}

/** Keep this much of a tool's output (stdout is the probe's JSON; stderr only for the log). */
const MAX_OUTPUT_BYTES = 1 << 20;

/**
 * Runs `bin` with `args` (never through a shell), killed after `timeoutMs` or when `signal`
 * aborts; its stdout. Input only from files given in `args`.
 */
export function runTool(
  bin: string,
  args: readonly string[],
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new ToolFailed('aborted', 'aborted'));
      return;
    }
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let stopped: 'timeout' | 'aborted' | undefined;
    const kill = (why: 'timeout' | 'aborted') => {
      stopped = why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill('timeout'), options.timeoutMs);
    const onAbort = () => kill('aborted');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes <= MAX_OUTPUT_BYTES) out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.length < 4096) err += chunk.toString('utf8');
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (stopped) reject(new ToolFailed(`${stopped}`, stopped));
      else if (code !== 0) reject(new ToolFailed(err.trim().slice(-500) || `exit ${code}`, 'exit'));
      else resolve(Buffer.concat(out));
    });
  });
}

/**
 * The demuxer ffmpeg must use for a type detected from the bytes. Forcing it (rather than
 * letting ffmpeg guess) keeps a hostile file from reaching demuxers that follow references,
 * such as HLS playlists; `-protocol_whitelist file` closes the rest.
 */
export const DEMUXER: Record<string, string> = {
  'image/gif': 'gif',
  'video/mp4': 'mov',
  'video/quicktime': 'mov',
  'audio/x-m4a': 'mov',
  'audio/mp4': 'mov',
  'video/webm': 'matroska',
  'audio/mpeg': 'mp3',
  'audio/ogg': 'ogg',
  'audio/opus': 'ogg',
};

/** How ffmpeg and ffprobe are told to read an upload: only as `demuxer`, only from files. */
const readAs = (demuxer: string) => ['-v', 'error', '-protocol_whitelist', 'file', '-f', demuxer];

/** The options every ffmpeg invocation reading an upload starts with. */
export const inputArgs = (demuxer: string, file: string) => [...readAs(demuxer), '-i', file];

export interface ProbedStream {
  codec_type?: string;
  width?: number;
  height?: number;
  disposition?: { attached_pic?: number };
}

export interface Probe {
  /** Seconds; NaN when the container does not say. */
  duration: number;
  streams: ProbedStream[];
}

/** What ffprobe reads of a file's container and streams. */
export async function probe(
  tools: FfmpegTools,
  demuxer: string,
  file: string,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<Probe> {
  const out = await runTool(
    tools.ffprobe,
    [...readAs(demuxer), '-print_format', 'json', '-show_format', '-show_streams', file],
    options,
  );
  const parsed = JSON.parse(out.toString('utf8')) as {
    format?: { duration?: string };
    streams?: ProbedStream[];
  };
  return {
    duration: Number(parsed.format?.duration ?? Number.NaN),
    streams: parsed.streams ?? [],
  };
}
