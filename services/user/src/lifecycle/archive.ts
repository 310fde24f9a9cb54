import { sha256Hex } from '@kith/runtime';
import { strToU8, unzipSync, zipSync } from 'fflate';
import type { Zippable } from 'fflate';

// A part's format and its hash are shared with every service that writes one (@kith/runtime).
export { sha256Hex, zipJsonFiles } from '@kith/runtime';

export interface ManifestFile {
  path: string;
  sha256: string;
  size_bytes: number;
}

export interface Manifest {
  data_export_id: string;
  user_id: string;
  generated_at: string;
  services: string[];
  files: ManifestFile[];
}

/** A part's entry names must be plain relative paths: no `..`, no absolute path, no directory. */
function safeEntryName(name: string): boolean {
  if (name.startsWith('/') || name.includes('\\') || name.endsWith('/')) return false;
  return name.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/**
 * The archive the user downloads: each service's part unpacked under `<service>/`, plus
 * `manifest.json` with the sha256 and size of every other file in it. Throws when a part is
 * not a ZIP or names a path outside its folder.
 */
export function assembleArchive(input: {
  dataExportId: string;
  userId: string;
  generatedAt: Date;
  parts: { service: string; zip: Uint8Array }[];
}): Uint8Array {
  const entries: Zippable = {};
  const files: ManifestFile[] = [];
  for (const part of input.parts) {
    const unpacked = unzipSync(part.zip);
    for (const [name, data] of Object.entries(unpacked).sort(([a], [b]) => a.localeCompare(b))) {
      if (name.endsWith('/') && data.length === 0) continue; // a directory entry
      if (!safeEntryName(name)) throw new Error(`part ${part.service} holds an unsafe path`);
      const entryPath = `${part.service}/${name}`;
      entries[entryPath] = data;
      files.push({ path: entryPath, sha256: sha256Hex(data), size_bytes: data.length });
    }
  }
  const manifest: Manifest = {
    data_export_id: input.dataExportId,
    user_id: input.userId,
    generated_at: input.generatedAt.toISOString(),
    services: input.parts.map((p) => p.service),
    files,
  };
  entries['manifest.json'] = strToU8(`${JSON.stringify(manifest, null, 2)}\n`);
  return zipSync(entries, { level: 6, mtime: input.generatedAt });
}
