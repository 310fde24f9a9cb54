import { ConfigError } from '@kith/config';
import { z } from 'zod';

/** The environment variable holding the JSON array of OIDC providers. */
export const OIDC_PROVIDERS_ENV = 'AUTH_OIDC_PROVIDERS';

export type OidcPreset = 'google' | 'apple';
export type OidcResponseMode = 'query' | 'form_post';

/** One provider, validated and with presets and defaults applied. */
export interface OidcProviderConfig {
  id: string;
  issuer: string;
  preset: OidcPreset | undefined;
  clientId: string;
  /** Apple: an ES256 JWT the operator signs with their Sign in with Apple key (≤ 6 months). */
  clientSecret: string | undefined;
  /** Exact allow-list; a login may only ask the provider to redirect to one of these. */
  redirectUris: string[];
  scopes: string[];
  responseMode: OidcResponseMode;
  allowSignUp: boolean;
  /** Plain-http issuer and endpoints; only ever accepted for a loopback issuer (tests, dev). */
  allowInsecureHttp: boolean;
}

/** Thrown by parseOidcProviders with every problem found, each prefixed by its path. */
export class OidcConfigError extends ConfigError {
  constructor(problems: readonly string[]) {
    super(problems);
    this.name = 'OidcConfigError';
  }
}

interface Preset {
  issuer: string;
  scopes: string[];
  responseMode: OidcResponseMode;
}

const PRESETS: Record<OidcPreset, Preset> = {
  google: {
    issuer: 'https://accounts.google.com',
    scopes: ['openid', 'email', 'profile'],
    responseMode: 'query',
  },
  // Apple posts the callback (form_post) whenever name or email is requested, and its scope for
  // the user's name is `name`, not `profile`. The name itself arrives only once, as the `user`
  // form field of the first authorization, never in the ID token.
  apple: {
    issuer: 'https://appleid.apple.com',
    scopes: ['openid', 'email', 'name'],
    responseMode: 'form_post',
  },
};

const DEFAULT_SCOPES = ['openid', 'email', 'profile'];
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

function isLoopback(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname);
}

function tryUrl(value: unknown): URL | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

const redirectUriSchema = z.url({ message: 'expected an absolute URL' }).superRefine((raw, ctx) => {
  // Runs even when the format check above failed.
  const url = tryUrl(raw);
  if (url === undefined) return;
  // The token request derives redirect_uri by stripping the query, so one here could not match.
  if (url.search !== '' || url.hash !== '' || raw.includes('#') || raw.endsWith('?')) {
    ctx.addIssue({ code: 'custom', message: 'must not contain a query or a fragment' });
  }
  if (url.protocol === 'http:' && !isLoopback(url)) {
    ctx.addIssue({ code: 'custom', message: 'http is only allowed for loopback redirect URIs' });
  }
});

const providerSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, {
      message: 'expected 1-32 characters of a-z, 0-9 and -, not starting with -',
    }),
    issuer: z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' }).optional(),
    preset: z.enum(['google', 'apple']).optional(),
    clientId: z.string().min(1, { message: 'expected a non-empty string' }),
    clientSecret: z.string().min(1, { message: 'expected a non-empty string' }).optional(),
    redirectUris: z.array(redirectUriSchema).min(1, { message: 'expected at least one URI' }),
    scopes: z
      .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/))
      .min(1)
      .optional(),
    allowSignUp: z.boolean().default(true),
    allowInsecureHttp: z.boolean().default(false),
  })
  // Cross-field rules run even when a field above failed, so every problem is reported at once.
  .check(
    z.superRefine(
      (provider, ctx) => {
        if (typeof provider !== 'object' || provider === null) return;
        const { issuer, preset, scopes, allowInsecureHttp } = provider as Partial<typeof provider>;
        if (issuer === undefined && preset === undefined) {
          ctx.addIssue({ code: 'custom', message: 'set issuer or preset', path: ['issuer'] });
        }
        if (issuer !== undefined && preset !== undefined) {
          ctx.addIssue({
            code: 'custom',
            message: 'set issuer or preset, not both',
            path: ['issuer'],
          });
        }
        const issuerUrl = tryUrl(issuer);
        if (issuerUrl !== undefined) {
          if (issuerUrl.search !== '' || issuerUrl.hash !== '') {
            ctx.addIssue({
              code: 'custom',
              message: 'must not contain a query or a fragment',
              path: ['issuer'],
            });
          }
          if (issuerUrl.protocol === 'http:' && allowInsecureHttp !== true) {
            ctx.addIssue({
              code: 'custom',
              message: 'http issuers need allowInsecureHttp (loopback only)',
              path: ['issuer'],
            });
          }
        }
        if (allowInsecureHttp === true && (issuerUrl === undefined || !isLoopback(issuerUrl))) {
          ctx.addIssue({
            code: 'custom',
            message: 'allowed only for a loopback issuer (127.0.0.1, [::1], localhost)',
            path: ['allowInsecureHttp'],
          });
        }
        if (Array.isArray(scopes) && !scopes.includes('openid')) {
          ctx.addIssue({ code: 'custom', message: 'must include openid', path: ['scopes'] });
        }
      },
      { when: () => true },
    ),
  )
  .transform((p): OidcProviderConfig => {
    const preset = p.preset === undefined ? undefined : PRESETS[p.preset];
    return {
      id: p.id,
      issuer: preset?.issuer ?? p.issuer ?? '',
      preset: p.preset,
      clientId: p.clientId,
      clientSecret: p.clientSecret,
      redirectUris: [...new Set(p.redirectUris)],
      scopes: p.scopes ?? preset?.scopes ?? DEFAULT_SCOPES,
      responseMode: preset?.responseMode ?? 'query',
      allowSignUp: p.allowSignUp,
      allowInsecureHttp: p.allowInsecureHttp,
    };
  });

const providerListSchema = z.array(providerSchema).check(
  z.superRefine(
    (providers, ctx) => {
      if (!Array.isArray(providers)) return;
      const seen = new Set<string>();
      providers.forEach((provider, index) => {
        const id = (provider as Partial<OidcProviderConfig> | undefined)?.id;
        if (typeof id !== 'string') return;
        if (seen.has(id)) {
          ctx.addIssue({ code: 'custom', message: `duplicate id "${id}"`, path: [index, 'id'] });
        }
        seen.add(id);
      });
    },
    { when: () => true },
  ),
);

/**
 * The value of AUTH_OIDC_PROVIDERS (a JSON array) as a zod schema, to embed in a service's env
 * schema for loadEnv; issues carry paths such as `1.redirectUris.0`.
 */
export const oidcProvidersEnvSchema = z
  .string()
  .transform((raw, ctx): unknown => {
    try {
      return JSON.parse(raw);
    } catch {
      // The input is not echoed: it may hold client secrets.
      ctx.addIssue({ code: 'custom', message: 'expected a JSON array of providers' });
      return z.NEVER;
    }
  })
  .pipe(providerListSchema);

/**
 * Parses AUTH_OIDC_PROVIDERS; unset or empty means no provider (OIDC login disabled).
 * Throws OidcConfigError listing every problem as `AUTH_OIDC_PROVIDERS.<path>: <message>`.
 */
export function parseOidcProviders(raw: string | undefined): OidcProviderConfig[] {
  if (raw === undefined || raw.trim() === '') return [];
  const result = oidcProvidersEnvSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new OidcConfigError(
    result.error.issues.map((issue) => {
      const path = [OIDC_PROVIDERS_ENV, ...issue.path.map(String)].join('.');
      return `${path}: ${issue.message}`;
    }),
  );
}
