import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * The export bucket (data_events.proto): where every service writes its part,
 * `exports/<data_export_id>/<service>.zip`, and where the user service keeps the assembled
 * archive. Keys are relative, `/`-separated paths of [A-Za-z0-9._-] segments.
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
