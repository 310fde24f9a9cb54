import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';
import { strToU8, zipSync } from 'fflate';
import type { Zippable } from 'fflate';
import type { ServiceContext } from './module.js';

/**
 * The export bucket (data_events.proto): where every service writes its part of a data export,
 * `exports/<data_export_id>/<service>.zip`, and where the user service keeps the assembled
 * archive. Shared here so that every participating service writes to the same place, the same
 * way. Keys are relative, `/`-separated paths of [A-Za-z0-9._-] segments.
 *
 * Only a filesystem adapter exists (embedded mode: a directory under the data dir; distributed
 * mode: a shared volume). An S3 adapter is to come with the same interface.
 */
export interface BlobStorage {
  put(key: string, data: Uint8Array): Promise<void>;
  /** The object's bytes; undefined when there is none. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Deletes every object under `prefix` (a key ending in `/`); nothing when there are none. */
  deletePrefix(prefix: string): Promise<void>;
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Throws unless `key` is a safe relative key (no `..`, no absolute path, no empty segment). */
export function assertBlobKey(key: string, { prefix = false } = {}): void {
  const segments = key.split('/');
  if (prefix && segments.at(-1) === '') segments.pop();
  if (segments.length === 0 || !segments.every((s) => SEGMENT.test(s) && s !== '..')) {
    throw new Error(`invalid blob key: ${JSON.stringify(key)}`);
  }
}

/** Blobs as files under `root`; a write lands under a temporary name and is then renamed. */
export function filesystemBlobStorage(root: string): BlobStorage {
  const fileOf = (key: string) => path.join(root, ...key.split('/').filter(Boolean));
  return {
    async put(key, data) {
      assertBlobKey(key);
      const file = fileOf(key);
      await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
      await fs.writeFile(temporary, data, { mode: 0o600 });
      await fs.rename(temporary, file);
    },
    async get(key) {
      assertBlobKey(key);
      try {
        return new Uint8Array(await fs.readFile(fileOf(key)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    async deletePrefix(prefix) {
      assertBlobKey(prefix, { prefix: true });
      await fs.rm(fileOf(prefix), { recursive: true, force: true });
    },
  };
}

/**
 * Where the export bucket is: `USER_EXPORT_DIR` (a shared volume when distributed), else
 * `<data dir>/exports`. Every participating service reads the same setting.
 */
export function exportBucketDir(ctx: Pick<ServiceContext, 'env' | 'config'>): string {
  const configured = ctx.env.USER_EXPORT_DIR;
  return configured && configured.length > 0
    ? configured
    : path.join(ctx.config.dataDir, 'exports');
}

/** `KithService.POST` → `post`: a part's folder in the archive and its object name. */
export function serviceSlug(service: KithService): string {
  const name = KithService[service];
  if (!name || service === KithService.UNSPECIFIED) throw new Error(`no such service ${service}`);
  return name.toLowerCase();
}

/** Where a service's part of an export lives in the export bucket. */
export function partObjectKey(dataExportId: string, service: KithService): string {
  return `exports/${dataExportId}/${serviceSlug(service)}.zip`;
}

export function sha256Hex(data: Uint8Array): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** A service's part: one pretty-printed JSON file per category, `<category>.json`, zipped. */
export function zipJsonFiles(files: Record<string, unknown>, modifiedAt: Date): Uint8Array {
  const entries: Zippable = {};
  for (const [category, value] of Object.entries(files)) {
    entries[`${category}.json`] = strToU8(`${JSON.stringify(value, null, 2)}\n`);
  }
  return zipSync(entries, { level: 6, mtime: modifiedAt });
}

/**
 * A service's part of an export, ready to announce: the ZIP is in the bucket at the saga's key;
 * the caller publishes data.export_part_ready with these fields in its transaction.
 */
export async function writeExportPart(
  blobs: BlobStorage,
  input: {
    dataExportId: string;
    service: KithService;
    files: Record<string, unknown>;
    modifiedAt: Date;
  },
): Promise<{ objectKey: string; sha256: string; sizeBytes: bigint }> {
  const zip = zipJsonFiles(input.files, input.modifiedAt);
  const objectKey = partObjectKey(input.dataExportId, input.service);
  await blobs.put(objectKey, zip);
  return { objectKey, sha256: sha256Hex(zip), sizeBytes: BigInt(zip.length) };
}
