import { createHash, timingSafeEqual } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import * as oidc from 'openid-client';
import { OidcLoginError, OidcRedirectNotAllowedError } from './errors.js';
import { exchangeFailure, newWireTrace, tracingFetch, userInfoFailure } from './failure.js';
import type { WireTrace } from './failure.js';
import { toIdentity } from './identity.js';
import type { OidcIdentity } from './identity.js';
import type { OidcProviderConfig } from './providers.js';

export interface OidcClientsOptions {
  /** The time ID tokens are checked against (exp, iat); defaults to the system clock. */
  clock?: () => Date;
  /** Per HTTP request to a provider (discovery, token, JWKS, UserInfo). Default 10 s. */
  fetchTimeoutMs?: number;
}

export interface OidcStartResult {
  authorizationUrl: string;
  /** Keep state, nonce and codeVerifier server-side, bound to this login, until finish. */
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface OidcCallbackParams {
  code: string;
  state: string;
  /** RFC 9207 `iss` of the callback, when the provider sent one; checked if given. */
  iss?: string;
}

export interface OidcExpected {
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
}

export interface OidcClient {
  /** The provider's configuration, without its client secret (safe to log). */
  readonly provider: Readonly<Omit<OidcProviderConfig, 'clientSecret'>>;
  start(input: { redirectUri: string }): Promise<OidcStartResult>;
  finish(input: {
    callbackParams: OidcCallbackParams;
    expected: OidcExpected;
  }): Promise<OidcIdentity>;
}

export interface OidcClients {
  get(id: string): OidcClient | undefined;
  ids(): string[];
}

// Asymmetric algorithms only: an HS256 token is keyed with the client secret, which proves
// nothing about the issuer to us, and `none` is never acceptable.
const ID_TOKEN_ALGS = new Set([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]);

const DEFAULT_FETCH_TIMEOUT_MS = 10_000;

export function createOidcClients(
  providers: readonly OidcProviderConfig[],
  options: OidcClientsOptions = {},
): OidcClients {
  const clients = new Map(providers.map((p) => [p.id, createOidcClient(p, options)]));
  return {
    get: (id) => clients.get(id),
    ids: () => [...clients.keys()],
  };
}

function sameSecret(a: string, b: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(a), digest(b));
}

// client_secret_basic is the default (RFC 8414); Apple only accepts client_secret_post.
function clientAuth(secret: string | undefined, as: oidc.ServerMetadata): oidc.ClientAuth {
  if (secret === undefined) return oidc.None();
  const methods = as.token_endpoint_auth_methods_supported;
  if (
    methods?.includes('client_secret_basic') === false &&
    methods.includes('client_secret_post')
  ) {
    return oidc.ClientSecretPost(secret);
  }
  return oidc.ClientSecretBasic(secret);
}

function createOidcClient(config: OidcProviderConfig, options: OidcClientsOptions): OidcClient {
  const { clientSecret, ...provider } = config;
  const clock = options.clock ?? (() => new Date());
  const timeoutSeconds = (options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS) / 1000;
  const allowedRedirects = new Set(config.redirectUris);
  const insecure = config.allowInsecureHttp;
  let metadata: Promise<oidc.ServerMetadata> | undefined;
  let jwksCache: oidc.ExportedJWKSCache | undefined;

  // Fetched on first use and kept; a failure is not cached, so the next login retries.
  function discover(): Promise<oidc.ServerMetadata> {
    metadata ??= oidc
      .discovery(new URL(config.issuer), config.clientId, undefined, undefined, {
        timeout: timeoutSeconds,
        execute: insecure ? [oidc.allowInsecureRequests] : [],
      })
      .then((discovered) => discovered.serverMetadata())
      .catch((cause: unknown) => {
        metadata = undefined;
        throw new OidcLoginError('provider_unavailable', { cause });
      });
    return metadata;
  }

  // A Configuration per call: cheap, and it lets each call carry the current clock and its
  // own wire trace while the JWKS cache is shared across calls.
  function configure(as: oidc.ServerMetadata, trace?: WireTrace): oidc.Configuration {
    const skewSeconds = (clock().getTime() - Date.now()) / 1000;
    const configuration = new oidc.Configuration(
      as,
      config.clientId,
      { [oidc.clockSkew]: skewSeconds },
      clientAuth(clientSecret, as),
    );
    if (insecure) oidc.allowInsecureRequests(configuration);
    configuration.timeout = timeoutSeconds;
    if (trace !== undefined) {
      configuration[oidc.customFetch] = tracingFetch(trace, as.token_endpoint);
    }
    // Verify the ID token's signature against the JWKS even though it came over TLS.
    oidc.enableNonRepudiationChecks(configuration);
    if (jwksCache !== undefined) oidc.setJwksCache(configuration, jwksCache);
    return configuration;
  }

  function assertRedirectAllowed(redirectUri: string): void {
    if (!allowedRedirects.has(redirectUri)) throw new OidcRedirectNotAllowedError();
  }

  async function start({ redirectUri }: { redirectUri: string }): Promise<OidcStartResult> {
    assertRedirectAllowed(redirectUri);
    const as = await discover();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const params: Record<string, string> = {
      redirect_uri: redirectUri,
      scope: config.scopes.join(' '),
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    };
    if (config.responseMode === 'form_post') params.response_mode = 'form_post';
    let authorizationUrl: URL;
    try {
      authorizationUrl = oidc.buildAuthorizationUrl(configure(as), params);
    } catch (cause) {
      // Discovery gave no usable authorization endpoint.
      throw new OidcLoginError('provider_unavailable', { cause });
    }
    return { authorizationUrl: authorizationUrl.href, state, nonce, codeVerifier };
  }

  async function finish({
    callbackParams,
    expected,
  }: {
    callbackParams: OidcCallbackParams;
    expected: OidcExpected;
  }): Promise<OidcIdentity> {
    assertRedirectAllowed(expected.redirectUri);
    if (!sameSecret(callbackParams.state, expected.state)) {
      throw new OidcLoginError('state_mismatch');
    }
    const as = await discover();
    if (callbackParams.iss !== undefined && callbackParams.iss !== as.issuer) {
      throw new OidcLoginError('issuer_mismatch');
    }
    const callbackUrl = new URL(expected.redirectUri);
    callbackUrl.searchParams.set('code', callbackParams.code);
    callbackUrl.searchParams.set('state', callbackParams.state);
    // Checked above when given; a callback without it (the API may not carry it) is taken as
    // coming from this issuer, which the state binds the login to.
    callbackUrl.searchParams.set('iss', callbackParams.iss ?? as.issuer);

    const trace = newWireTrace();
    const configuration = configure(as, trace);
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: expected.codeVerifier,
        expectedNonce: expected.nonce,
        expectedState: expected.state,
        idTokenExpected: true,
      });
    } catch (cause) {
      throw exchangeFailure(cause, trace);
    } finally {
      jwksCache = oidc.getJwksCache(configuration) ?? jwksCache;
    }

    const claims = tokens.claims();
    const alg =
      tokens.id_token === undefined ? undefined : decodeProtectedHeader(tokens.id_token).alg;
    if (claims === undefined || alg === undefined || !ID_TOKEN_ALGS.has(alg)) {
      throw new OidcLoginError('invalid_id_token', {
        cause: new Error(`ID token alg ${String(alg)} is not allowed`),
      });
    }

    // Strict providers put profile claims only in UserInfo when an access token is issued.
    if (
      claims.email === undefined &&
      config.scopes.includes('email') &&
      as.userinfo_endpoint !== undefined
    ) {
      const userInfoTrace = newWireTrace();
      try {
        const userInfo = await oidc.fetchUserInfo(
          configure(as, userInfoTrace),
          tokens.access_token,
          claims.sub,
        );
        return toIdentity(claims, userInfo);
      } catch (cause) {
        throw userInfoFailure(cause, userInfoTrace);
      }
    }
    return toIdentity(claims);
  }

  return { provider, start, finish };
}
