import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { freePort } from '@kith/testkit';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey } from 'jose';
import type * as OidcProviderModule from 'oidc-provider';
import type { Provider, ProviderContext } from 'oidc-provider';
import type * as MemoryAdapterModule from 'oidc-provider/lib/adapters/memory_adapter.js';
import { authorizeAs } from './test-provider-browser.js';
import type { AuthorizationResponse } from './test-provider-browser.js';

export type { AuthorizationResponse } from './test-provider-browser.js';

export interface TestOidcClient {
  client_id: string;
  /** Without one the client is public (token_endpoint_auth_method none, PKCE only). */
  client_secret?: string;
  redirect_uris: string[];
  /** Any other client metadata, e.g. id_token_signed_response_alg. */
  [metadata: string]: unknown;
}

export interface TestOidcAccount {
  email: string;
  email_verified: boolean;
  name: string;
  [claim: string]: unknown;
}

export interface TestOidcProviderOptions {
  clients: TestOidcClient[];
  accounts: Record<string, TestOidcAccount>;
  /** Default: a free port. */
  port?: number;
  /**
   * Put email and profile claims in the ID token, as Google and Apple do (default true). With
   * false the provider is strict OIDC and serves them only from UserInfo.
   */
  profileClaimsInIdToken?: boolean;
}

/** A change to the next ID token the token endpoint returns, re-signed after the change. */
export interface IdTokenTamper {
  claims?: Record<string, unknown>;
  /** Sign with a key that is not in the provider's JWKS (same kid). */
  foreignKey?: boolean;
}

export interface TestOidcProvider {
  /** http://127.0.0.1:<port>, no trailing slash. */
  issuer: string;
  stop(): Promise<void>;
  /** Logs in as `sub`, consents, and returns what the provider sends to the redirect_uri. */
  authorize(authorizationUrl: string, options: { sub: string }): Promise<AuthorizationResponse>;
  /** Simulates a misbehaving provider for the next code exchange. */
  tamperNextIdToken(tamper: IdTokenTamper): void;
}

const SIGNING_KID = 'test-rs256';

// oidc-provider 9 prints a warning at import on Node < 22 LTS; it runs fine on Node 20, so that
// one line is dropped. Everything else it could print is avoided by configuration below.
type Modules = [typeof OidcProviderModule, typeof MemoryAdapterModule];
let loaded: Promise<Modules> | undefined;
function loadOidcProvider(): Promise<Modules> {
  loaded ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (String(args[0]).includes('oidc-provider WARNING: Unsupported runtime')) return;
      warn(...args);
    };
    try {
      return await Promise.all([
        import('oidc-provider'),
        import('oidc-provider/lib/adapters/memory_adapter.js'),
      ]);
    } finally {
      console.warn = warn;
    }
  })();
  return loaded;
}

function toProviderClient(client: TestOidcClient): Record<string, unknown> {
  return {
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: client.client_secret === undefined ? 'none' : 'client_secret_basic',
    ...client,
  };
}

/** oidc-provider on 127.0.0.1 over plain http, PKCE (S256) required, no dev interactions. */
export async function startTestOidcProvider(
  options: TestOidcProviderOptions,
): Promise<TestOidcProvider> {
  const [{ Provider }, { createMemoryAdapter }] = await loadOidcProvider();
  const port = options.port ?? (await freePort());
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: SIGNING_KID, alg: 'RS256', use: 'sig' };

  const provider = new Provider(issuer, {
    adapter: createMemoryAdapter(),
    clients: options.clients.map(toProviderClient),
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    findAccount: (_ctx: unknown, sub: string) => {
      const account = options.accounts[sub];
      return account === undefined
        ? undefined
        : { accountId: sub, claims: () => ({ ...account, sub }) };
    },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    conformIdTokenClaims: options.profileClaimsInIdToken === false,
    pkce: { required: () => true },
    responseTypes: ['code'],
    // HS256 is offered so a test can show the client refuses symmetric ID tokens.
    enabledJWA: { idTokenSigningAlgValues: ['RS256', 'HS256'] },
    features: { devInteractions: { enabled: false } },
    interactions: {
      url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
    clientBasedCORS: () => false,
    renderError: (ctx: ProviderContext, out: Record<string, unknown>) => {
      ctx.body = out;
    },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Grant: 600,
      Session: 600,
    },
  });

  let pendingTamper: IdTokenTamper | undefined;
  provider.use(async (ctx, next) => {
    await next();
    const body = ctx.body as { id_token?: unknown } | undefined;
    if (pendingTamper === undefined || ctx.method !== 'POST' || ctx.path !== '/token') return;
    if (ctx.status !== 200 || typeof body?.id_token !== 'string') return;
    const tamper = pendingTamper;
    pendingTamper = undefined;
    const key = tamper.foreignKey ? (await generateKeyPair('RS256')).privateKey : privateKey;
    body.id_token = await resign(body.id_token, tamper.claims ?? {}, key);
  });

  const handleProvider = provider.callback();
  const server = http.createServer((req, res) => {
    if (req.method === 'POST' && /^\/interaction\/[\w-]+\/login$/.test(req.url ?? '')) {
      void completeInteraction(provider, options.accounts, req, res);
      return;
    }
    void handleProvider(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });

  return {
    issuer,
    authorize: (authorizationUrl, { sub }) => authorizeAs(issuer, authorizationUrl, sub),
    tamperNextIdToken: (tamper) => {
      pendingTamper = tamper;
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function resign(
  idToken: string,
  claims: Record<string, unknown>,
  key: CryptoKey,
): Promise<string> {
  return new SignJWT({ ...decodeJwt(idToken), ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: SIGNING_KID })
    .sign(key);
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

/**
 * The login + consent form's submission: the user is `sub` and grants every scope and claim
 * the client asked for, so one interaction satisfies both prompts.
 */
async function completeInteraction(
  provider: Provider,
  accounts: Record<string, TestOidcAccount>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    const sub = (await readForm(req)).get('sub') ?? '';
    const details = await provider.interactionDetails(req, res);
    if (accounts[sub] === undefined) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`unknown account ${sub}`);
      return;
    }
    const grant = new provider.Grant({
      accountId: sub,
      clientId: String(details.params.client_id),
    });
    grant.addOIDCScope(String(details.params.scope ?? 'openid'));
    const missingClaims = details.prompt.details.missingOIDCClaims;
    if (Array.isArray(missingClaims)) grant.addOIDCClaims(missingClaims.map(String));
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: sub }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  } catch (error) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
  }
}
