import assert from 'node:assert/strict';
import { createOidcClients, OidcLoginError } from './index.js';
import type { OidcClient, OidcClientsOptions, OidcLoginFailure } from './index.js';
import { parseOidcProviders } from './providers.js';
import type { TestOidcProvider } from './test-provider.js';

// Shared by the OIDC client tests.

// Never fetched: the provider's final redirect is read, not followed.
export const REDIRECT = 'http://127.0.0.1:3000/oidc/callback';
export const SECRET = 'web-client-secret-0123456789';
export const ACCOUNTS = {
  alice: { email: 'alice@example.com', email_verified: true, name: 'Alice Example' },
  bob: { email: 'bob@example.com', email_verified: false, name: 'Bob Example' },
};

export function clientFor(
  issuer: string,
  clientId: string,
  clientSecret?: string,
  options?: OidcClientsOptions,
): OidcClient {
  const providers = parseOidcProviders(
    JSON.stringify([
      {
        id: 'test',
        issuer,
        clientId,
        clientSecret,
        redirectUris: [REDIRECT],
        allowInsecureHttp: true,
      },
    ]),
  );
  const client = createOidcClients(providers, options).get('test');
  assert.ok(client);
  return client;
}

export async function authorized(op: TestOidcProvider, client: OidcClient, sub = 'alice') {
  const started = await client.start({ redirectUri: REDIRECT });
  const callback = await op.authorize(started.authorizationUrl, { sub });
  const expected = { ...started, redirectUri: REDIRECT };
  return { started, callback, expected };
}

/** Every message in the cause chain: shows a failure happened for the reason the test means. */
export function causeText(error: unknown): string {
  const parts: string[] = [];
  for (let e = error; e instanceof Error; e = e.cause) parts.push(e.message);
  return parts.join(' <- ');
}

export async function rejectsWith(
  promise: Promise<unknown>,
  reason: OidcLoginFailure,
): Promise<Error> {
  let caught: unknown;
  await assert.rejects(promise, (error) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof OidcLoginError, `expected OidcLoginError, got ${String(caught)}`);
  assert.equal(caught.reason, reason, causeText(caught));
  // The client-facing message is fixed text; the provider's answer stays in `cause`.
  assert.equal(caught.message, `oidc login failed: ${reason}`);
  return caught;
}
