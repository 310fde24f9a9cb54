import { filesystemBlobStorage } from '@kith/runtime';
import type { BlobStorage } from '@kith/runtime';
import type { SupportApp } from '../app.js';
import { loadExportConfig } from './export-config.js';
import type { ExportConfig } from './export-config.js';

/** The export area's collaborators, built once per process. */
export interface IncidentExports {
  app: SupportApp;
  config: ExportConfig;
  /** The export bucket the files wait in. */
  blobs: BlobStorage;
}

/** What tests may change: the bucket. */
export interface ExportOverrides {
  blobs?: BlobStorage;
}

export function createIncidentExports(
  app: SupportApp,
  overrides: ExportOverrides = {},
): IncidentExports {
  const config = loadExportConfig(app.ctx);
  return { app, config, blobs: overrides.blobs ?? filesystemBlobStorage(config.bucketDir) };
}

/** Where one export's file lives; the folder goes with it. */
export const exportFolder = (exportId: string) => `support-exports/${exportId}/`;
