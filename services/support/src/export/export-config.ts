import { envUrl, loadEnv } from '@kith/config';
import { exportBucketDir } from '@kith/runtime';
import type { ServiceContext } from '@kith/runtime';
import { z } from 'zod';

/** The incident export settings of the support service (all optional; see each). */
export const exportEnvSchema = z.object({
  /**
   * 32+ bytes, base64: signs incident export download links. Derived per data dir in embedded
   * mode; needed when distributed (every replica must accept every other's links), else
   * ExportIncident answers Unavailable.
   */
  SUPPORT_EXPORT_LINK_SECRET: z
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
  /** Public origin the download links point at (the support process as clients reach it). */
  SUPPORT_EXPORT_LINK_BASE_URL: envUrl({ protocols: ['http', 'https'] }).optional(),
});

export interface ExportConfig {
  /** The export bucket (USER_EXPORT_DIR, a shared volume when distributed). */
  bucketDir: string;
  /** Undefined when distributed without SUPPORT_EXPORT_LINK_SECRET: no exports then. */
  linkSecret: Buffer | undefined;
  /** Origin the links point at, without a trailing slash. */
  linkBaseUrl: string;
}

/** The export settings; throws one error naming every bad setting. */
export function loadExportConfig(
  ctx: Pick<ServiceContext, 'env' | 'config' | 'derivedSecret'>,
): ExportConfig {
  const env = loadEnv(exportEnvSchema, ctx.env);
  const { host, port } = ctx.config.http;
  const publicHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    bucketDir: exportBucketDir(ctx),
    linkSecret: env.SUPPORT_EXPORT_LINK_SECRET ?? ctx.derivedSecret('support.export-links'),
    linkBaseUrl: (env.SUPPORT_EXPORT_LINK_BASE_URL ?? `http://${publicHost}:${port}`).replace(
      /\/+$/,
      '',
    ),
  };
}
