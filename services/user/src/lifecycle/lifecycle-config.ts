import { exportBucketDir } from '@kith/runtime';
import type { ServiceContext } from '@kith/runtime';
import { z } from 'zod';

const envSchema = z.object({
  /** Root of the export bucket on the filesystem; default `<data dir>/exports`. */
  USER_EXPORT_DIR: z.string().min(1).optional(),
  /**
   * 32+ bytes, base64: signs download links. Derived per data dir in embedded mode; needed
   * when distributed (every replica must accept every other's links).
   */
  USER_EXPORT_LINK_SECRET: z
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
  /** Public origin the download links point at (the API's address as clients reach it). */
  USER_EXPORT_LINK_BASE_URL: z.url().optional(),
});

export interface LifecycleConfig {
  exportDir: string;
  /** Undefined when distributed without USER_EXPORT_LINK_SECRET: no download links then. */
  linkSecret: Buffer | undefined;
  linkBaseUrl: string;
}

/** The lifecycle area's settings from the environment; throws on a missing or bad one. */
export function loadLifecycleConfig(
  ctx: Pick<ServiceContext, 'env' | 'derivedSecret' | 'config'>,
): LifecycleConfig {
  const parsed = envSchema.safeParse(ctx.env);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`user service lifecycle settings: ${fields.join('; ')}`);
  }
  const env = parsed.data;
  // Missing when distributed and unset: the service still starts (exports assemble), but no
  // download link is handed out or accepted until it is configured (parts.ts logs an error).
  const linkSecret = env.USER_EXPORT_LINK_SECRET ?? ctx.derivedSecret('user.export-link');
  const { host, port } = ctx.config.http;
  const publicHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    // The same place every participating service writes its part to (@kith/runtime).
    exportDir: exportBucketDir({
      env: { USER_EXPORT_DIR: env.USER_EXPORT_DIR },
      config: ctx.config,
    }),
    linkSecret,
    linkBaseUrl: (env.USER_EXPORT_LINK_BASE_URL ?? `http://${publicHost}:${port}`).replace(
      /\/+$/,
      '',
    ),
  };
}
