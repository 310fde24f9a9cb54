/** What the provider sends to the redirect_uri; `iss` per RFC 9207. */
export interface AuthorizationResponse {
  code: string;
  state: string;
  iss?: string;
}

const MAX_HOPS = 10;

/** Just enough of a browser: keeps cookies (paths ignored) and follows redirects by hand. */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';', 1)[0] ?? '';
      const eq = pair.indexOf('=');
      if (eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

async function describe(response: Response): Promise<string> {
  const body = await response.text().catch(() => '');
  return `${response.status} ${body.slice(0, 300)}`;
}

/**
 * Drives an authorization request as a user's browser would: follows the provider's redirects,
 * submits the login form of the interaction as `sub` (which also consents), and stops at the
 * redirect that leaves the provider, returning its parameters without fetching it.
 */
export async function authorizeAs(
  issuer: string,
  authorizationUrl: string,
  sub: string,
): Promise<AuthorizationResponse> {
  const origin = new URL(issuer).origin;
  const jar = new CookieJar();
  let request: { url: URL; init: RequestInit } = { url: new URL(authorizationUrl), init: {} };
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const response = await fetch(request.url, {
      ...request.init,
      headers: { ...request.init.headers, cookie: jar.header() },
      redirect: 'manual',
    });
    jar.take(response);
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || location === null) {
      throw new Error(
        `authorization stopped at ${request.url.pathname}: ${await describe(response)}`,
      );
    }
    await response.body?.cancel();
    const next = new URL(location, request.url);
    if (next.origin !== origin) return callbackParams(next);
    const interaction = /^\/interaction\/[\w-]+$/.test(next.pathname);
    request = interaction
      ? {
          url: new URL(`${next.pathname}/login`, origin),
          init: {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ sub }).toString(),
          },
        }
      : { url: next, init: {} };
  }
  throw new Error(`authorization did not finish within ${MAX_HOPS} redirects`);
}

function callbackParams(url: URL): AuthorizationResponse {
  const params = url.searchParams;
  const error = params.get('error');
  if (error !== null) {
    throw new Error(`authorization failed: ${error} ${params.get('error_description') ?? ''}`);
  }
  const code = params.get('code');
  const state = params.get('state');
  if (code === null || state === null) throw new Error(`no code or state in ${url.href}`);
  const iss = params.get('iss');
  return iss === null ? { code, state } : { code, state, iss };
}
