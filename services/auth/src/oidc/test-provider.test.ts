import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { startTestOidcProvider } from './test-provider.js';
import type { TestOidcProvider } from './test-provider.js';

const REDIRECT = 'http://127.0.0.1:3000/oidc/callback';

function authorizationUrl(issuer: string, params: Record<string, string>): string {
  const url = new URL('/auth', issuer);
  const defaults = {
    client_id: 'kith-app',
    response_type: 'code',
    redirect_uri: REDIRECT,
    scope: 'openid email',
    state: 'state-0123456789abcdef',
    nonce: 'nonce-0123456789abcdef',
    // RFC 7636 appendix B's verifier/challenge pair.
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  };
  for (const [k, v] of Object.entries({ ...defaults, ...params })) {
    if (v !== '') url.searchParams.set(k, v);
  }
  return url.href;
}

describe('the test OIDC provider', () => {
  let op: TestOidcProvider;

  beforeAll(async () => {
    op = await startTestOidcProvider({
      clients: [
        { client_id: 'kith-app', redirect_uris: [REDIRECT] },
        {
          client_id: 'kith-web',
          client_secret: 'web-secret-0123456789',
          redirect_uris: [REDIRECT],
        },
      ],
      accounts: { alice: { email: 'alice@example.com', email_verified: true, name: 'Alice' } },
    });
  });
  afterAll(() => op.stop());

  test('serves loopback http discovery with PKCE S256 and RFC 9207 iss', async () => {
    assert.match(op.issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${op.issuer}/.well-known/openid-configuration`);
    const metadata = (await response.json()) as Record<string, unknown>;
    assert.equal(metadata.issuer, op.issuer);
    assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
    assert.equal(metadata.authorization_response_iss_parameter_supported, true);
  });

  test('returns code, state and iss for a logged-in, consenting user', async () => {
    const response = await op.authorize(authorizationUrl(op.issuer, {}), { sub: 'alice' });
    assert.equal(response.state, 'state-0123456789abcdef');
    assert.equal(response.iss, op.issuer);
    assert.match(response.code, /^[\w-]{20,}$/);
  });

  test('requires PKCE, from confidential clients too', async () => {
    for (const client_id of ['kith-app', 'kith-web']) {
      const url = authorizationUrl(op.issuer, {
        client_id,
        code_challenge: '',
        code_challenge_method: '',
      });
      await assert.rejects(op.authorize(url, { sub: 'alice' }), /invalid_request.*PKCE/);
    }
  });

  test('refuses an unknown account', async () => {
    await assert.rejects(
      op.authorize(authorizationUrl(op.issuer, {}), { sub: 'mallory' }),
      /unknown account/,
    );
  });
});
