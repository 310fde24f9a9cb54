import { REVOCATION_TTL_MS } from '@kith/authn';
import { envBool, envDurationMs, envList, envUrl, loadEnv } from '@kith/config';
import { z } from 'zod';
import { canonicalEmail } from './credentials/index.js';
import { oidcProvidersEnvSchema } from './oidc/index.js';
import type { OidcProviderConfig } from './oidc/index.js';

const DAY = 24 * 3600_000;
/** Verifiers accept tokens up to this long past `exp` (jwt clockTolerance), with margin. */
const ACCESS_TOKEN_CLOCK_SKEW_MS = 60_000;

/** The auth service's own settings; the platform's (AUTH_ISSUER, …) come from ctx.config. */
export const authEnvSchema = z
  .object({
    KITH_MODE: z.enum(['embedded', 'distributed']).default('embedded'),
    /** 32 bytes, base64: seals signing keys and TOTP secrets. Derived per data dir when embedded. */
    AUTH_KEY_ENCRYPTION_KEY: z
      .string()
      .transform((raw, ctx) => {
        const key = Buffer.from(raw, 'base64');
        if (key.length !== 32) {
          ctx.addIssue({ code: 'custom', message: 'must be 32 bytes, base64-encoded' });
          return z.NEVER;
        }
        return key;
      })
      .optional(),
    AUTH_SIGNING_ALG: z.enum(['EdDSA', 'ES256']).default('EdDSA'),
    AUTH_ACCESS_TOKEN_TTL: envDurationMs().default(10 * 60_000),
    AUTH_REFRESH_IDLE_TTL: envDurationMs().default(30 * DAY),
    AUTH_REFRESH_ABSOLUTE_TTL: envDurationMs().default(90 * DAY),
    AUTH_KEY_ROTATION_INTERVAL: envDurationMs().default(30 * DAY),
    /** Longer than any verifier's JWKS cache (jose caches 10 min by default). */
    AUTH_KEY_PUBLISH_LEAD: envDurationMs().default(3600_000),
    /** Where links in e-mails point: the web app that calls VerifyEmail / ResetPassword. */
    AUTH_LINK_BASE_URL: envUrl({ protocols: ['http', 'https'] }).default('http://localhost:3000'),
    /** smtp:// or smtps:// with credentials; unset in embedded mode: mail goes to .eml files. */
    SMTP_URL: envUrl({ protocols: ['smtp', 'smtps'] }).optional(),
    MAIL_FROM: z.string().min(3).default('Kith <no-reply@kith.local>'),
    /**
     * E-mail addresses whose accounts become admins once verified: how the first staff
     * account comes to exist (admins then grant roles with SetRole).
     */
    AUTH_BOOTSTRAP_ADMINS: envList().default(() => []),
    /** Distributed mode without SMTP, for a laptop: mail becomes .eml files under the data dir. */
    AUTH_MAIL_TO_FILES: envBool().default(false),
    /** JSON array of OIDC providers (see services/auth/src/oidc/providers.ts). */
    AUTH_OIDC_PROVIDERS: oidcProvidersEnvSchema.default([]),
    /**
     * Distributed mode sends mail only over TLS (smtps://, or smtp:// with STARTTLS required).
     * This lets a plain-text smtp:// reach a relay on the same host or pod, and nothing else.
     */
    AUTH_SMTP_INSECURE_PLAINTEXT_LOCAL_RELAY: envBool().default(false),
  })
  .superRefine(
    (env, ctx) => {
      // A token must die before the revocation entries that could concern it expire.
      if (env.AUTH_ACCESS_TOKEN_TTL + ACCESS_TOKEN_CLOCK_SKEW_MS > REVOCATION_TTL_MS) {
        ctx.addIssue({
          code: 'custom',
          path: ['AUTH_ACCESS_TOKEN_TTL'],
          message: `at most ${(REVOCATION_TTL_MS - ACCESS_TOKEN_CLOCK_SKEW_MS) / 1000} s: revocations are kept ${REVOCATION_TTL_MS / 60_000} min, and a longer-lived token would outlive its revocation`,
        });
      }
      if (env.KITH_MODE !== 'distributed') return;
      if (env.AUTH_KEY_ENCRYPTION_KEY === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['AUTH_KEY_ENCRYPTION_KEY'],
          message: 'required when KITH_MODE=distributed',
        });
      }
      // Production mail must not quietly land in files: SMTP, or an explicit opt-in.
      if (env.SMTP_URL === undefined && !env.AUTH_MAIL_TO_FILES) {
        ctx.addIssue({
          code: 'custom',
          path: ['SMTP_URL'],
          message: 'required when KITH_MODE=distributed (or set AUTH_MAIL_TO_FILES=true)',
        });
      }
    },
    { when: () => true },
  );

export interface AuthConfig {
  mode: 'embedded' | 'distributed';
  signingAlg: 'EdDSA' | 'ES256';
  accessTokenTtlMs: number;
  refreshIdleTtlMs: number;
  refreshAbsoluteTtlMs: number;
  keyRotationIntervalMs: number;
  keyPublishLeadMs: number;
  linkBaseUrl: string;
  smtpUrl: string | null;
  /** Mail is refused unless the connection is encrypted (distributed mode, unless opted out). */
  smtpRequireTls: boolean;
  mailFrom: string;
  oidcProviders: OidcProviderConfig[];
  /** Canonical addresses of accounts made admins once verified. */
  bootstrapAdmins: string[];
  /** Limits and lifetimes from API.md; constants, not settings. */
  emailVerificationTtlMs: number;
  passwordResetTtlMs: number;
  reauthWindowMs: number;
  mfaChallengeTtlMs: number;
  emailCodeTtlMs: number;
  /** A login after this long without one counts as suspicious (email code). */
  inactivityMs: number;
}

export interface AuthSecrets {
  keyEncryptionKey: Buffer | undefined;
}

export function loadAuthConfig(env: NodeJS.ProcessEnv): {
  config: AuthConfig;
  secrets: AuthSecrets;
} {
  const parsed = loadEnv(authEnvSchema, env);
  return {
    config: {
      mode: parsed.KITH_MODE,
      signingAlg: parsed.AUTH_SIGNING_ALG,
      accessTokenTtlMs: parsed.AUTH_ACCESS_TOKEN_TTL,
      refreshIdleTtlMs: parsed.AUTH_REFRESH_IDLE_TTL,
      refreshAbsoluteTtlMs: parsed.AUTH_REFRESH_ABSOLUTE_TTL,
      keyRotationIntervalMs: parsed.AUTH_KEY_ROTATION_INTERVAL,
      keyPublishLeadMs: parsed.AUTH_KEY_PUBLISH_LEAD,
      linkBaseUrl: parsed.AUTH_LINK_BASE_URL.replace(/\/+$/, ''),
      smtpUrl: parsed.SMTP_URL ?? null,
      smtpRequireTls:
        parsed.KITH_MODE === 'distributed' && !parsed.AUTH_SMTP_INSECURE_PLAINTEXT_LOCAL_RELAY,
      mailFrom: parsed.MAIL_FROM,
      oidcProviders: parsed.AUTH_OIDC_PROVIDERS,
      bootstrapAdmins: parsed.AUTH_BOOTSTRAP_ADMINS.map((email) => canonicalEmail(email)),
      emailVerificationTtlMs: DAY,
      passwordResetTtlMs: 3600_000,
      reauthWindowMs: 3600_000,
      mfaChallengeTtlMs: 5 * 60_000,
      emailCodeTtlMs: 5 * 60_000,
      inactivityMs: 90 * DAY,
    },
    secrets: { keyEncryptionKey: parsed.AUTH_KEY_ENCRYPTION_KEY },
  };
}
