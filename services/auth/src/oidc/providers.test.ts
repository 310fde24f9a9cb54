import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { ConfigError } from '@kith/config';
import { OidcConfigError, parseOidcProviders } from './providers.js';

function problemsOf(raw: string): readonly string[] {
  try {
    parseOidcProviders(raw);
  } catch (error) {
    assert.ok(error instanceof OidcConfigError);
    assert.ok(error instanceof ConfigError, 'handled like any other configuration error');
    return error.problems;
  }
  assert.fail('expected the configuration to be rejected');
}

describe('parseOidcProviders', () => {
  test('unset, empty or [] means no providers', () => {
    assert.deepEqual(parseOidcProviders(undefined), []);
    assert.deepEqual(parseOidcProviders(''), []);
    assert.deepEqual(parseOidcProviders('[]'), []);
  });

  test('presets fill the issuer, scopes and response mode; defaults apply', () => {
    const providers = parseOidcProviders(
      JSON.stringify([
        {
          id: 'google',
          preset: 'google',
          clientId: 'g-id',
          clientSecret: 'g-secret',
          redirectUris: ['https://kith.example/oidc/callback'],
        },
        {
          id: 'apple',
          preset: 'apple',
          clientId: 'com.kith.web',
          clientSecret: 'eyJhbGciOiJFUzI1NiJ9.e30.sig',
          redirectUris: ['https://kith.example/oidc/apple'],
          allowSignUp: false,
        },
        {
          id: 'corp-sso',
          issuer: 'https://sso.corp.example/realms/staff',
          clientId: 'kith',
          redirectUris: ['com.kith.app:/oidc', 'http://127.0.0.1:8080/cb'],
          scopes: ['openid', 'email'],
        },
      ]),
    );
    assert.deepEqual(providers, [
      {
        id: 'google',
        issuer: 'https://accounts.google.com',
        preset: 'google',
        clientId: 'g-id',
        clientSecret: 'g-secret',
        redirectUris: ['https://kith.example/oidc/callback'],
        scopes: ['openid', 'email', 'profile'],
        responseMode: 'query',
        allowSignUp: true,
        allowInsecureHttp: false,
      },
      {
        id: 'apple',
        issuer: 'https://appleid.apple.com',
        preset: 'apple',
        clientId: 'com.kith.web',
        clientSecret: 'eyJhbGciOiJFUzI1NiJ9.e30.sig',
        redirectUris: ['https://kith.example/oidc/apple'],
        scopes: ['openid', 'email', 'name'],
        responseMode: 'form_post',
        allowSignUp: false,
        allowInsecureHttp: false,
      },
      {
        id: 'corp-sso',
        issuer: 'https://sso.corp.example/realms/staff',
        preset: undefined,
        clientId: 'kith',
        clientSecret: undefined,
        redirectUris: ['com.kith.app:/oidc', 'http://127.0.0.1:8080/cb'],
        scopes: ['openid', 'email'],
        responseMode: 'query',
        allowSignUp: true,
        allowInsecureHttp: false,
      },
    ]);
  });

  test('a loopback http issuer is accepted only with allowInsecureHttp', () => {
    const base = { id: 'dev', clientId: 'kith', redirectUris: ['http://127.0.0.1:3000/cb'] };
    const [dev] = parseOidcProviders(
      JSON.stringify([{ ...base, issuer: 'http://127.0.0.1:9000', allowInsecureHttp: true }]),
    );
    assert.equal(dev?.allowInsecureHttp, true);
    assert.deepEqual(problemsOf(JSON.stringify([{ ...base, issuer: 'http://127.0.0.1:9000' }])), [
      'AUTH_OIDC_PROVIDERS.0.issuer: http issuers need allowInsecureHttp (loopback only)',
    ]);
    assert.deepEqual(
      problemsOf(
        JSON.stringify([{ ...base, issuer: 'http://idp.example', allowInsecureHttp: true }]),
      ),
      [
        'AUTH_OIDC_PROVIDERS.0.allowInsecureHttp: allowed only for a loopback issuer (127.0.0.1, [::1], localhost)',
      ],
    );
  });

  test('every problem of every provider is reported at once, with its path', () => {
    const problems = problemsOf(
      JSON.stringify([
        {
          id: 'Google!',
          preset: 'facebook',
          clientId: '',
          redirectUris: [],
          scopes: ['email'],
          allowSignUp: 'yes',
        },
        {
          id: 'ok',
          issuer: 'https://idp.example',
          preset: 'google',
          clientId: 'kith',
          redirectUris: [
            'not a url',
            'http://kith.example/cb',
            'https://kith.example/cb?x=1',
            'https://kith.example/cb#frag',
          ],
          redirectUri: 'https://typo.example',
        },
        { id: 'ok', clientId: 'kith', redirectUris: ['https://kith.example/cb'] },
        'not an object',
      ]),
    );
    const expected = [
      'AUTH_OIDC_PROVIDERS.0.id: expected 1-32 characters of a-z, 0-9 and -, not starting with -',
      'AUTH_OIDC_PROVIDERS.0.preset:',
      'AUTH_OIDC_PROVIDERS.0.clientId: expected a non-empty string',
      'AUTH_OIDC_PROVIDERS.0.redirectUris: expected at least one URI',
      'AUTH_OIDC_PROVIDERS.0.allowSignUp:',
      'AUTH_OIDC_PROVIDERS.0.scopes: must include openid',
      'AUTH_OIDC_PROVIDERS.1: Unrecognized key: "redirectUri"',
      'AUTH_OIDC_PROVIDERS.1.redirectUris.0: expected an absolute URL',
      'AUTH_OIDC_PROVIDERS.1.redirectUris.1: http is only allowed for loopback redirect URIs',
      'AUTH_OIDC_PROVIDERS.1.redirectUris.2: must not contain a query or a fragment',
      'AUTH_OIDC_PROVIDERS.1.redirectUris.3: must not contain a query or a fragment',
      'AUTH_OIDC_PROVIDERS.1.issuer: set issuer or preset, not both',
      'AUTH_OIDC_PROVIDERS.2.issuer: set issuer or preset',
      'AUTH_OIDC_PROVIDERS.2.id: duplicate id "ok"',
      'AUTH_OIDC_PROVIDERS.3: Invalid input: expected object',
    ];
    for (const line of expected) {
      assert.ok(
        problems.some((p) => p.startsWith(line)),
        `missing "${line}" in:\n${problems.join('\n')}`,
      );
    }
    assert.equal(problems.length, expected.length, problems.join('\n'));
  });

  test('a value that is not JSON, or not an array, is one clear problem', () => {
    assert.deepEqual(problemsOf('{"id": "x"'), [
      'AUTH_OIDC_PROVIDERS: expected a JSON array of providers',
    ]);
    assert.equal(problemsOf('{"id": "x"}').length, 1);
  });

  test('problems never repeat a client secret', () => {
    const secret = 'super-secret-value-123';
    const problems = problemsOf(
      JSON.stringify([{ id: 'x', clientSecret: secret, clientId: 1, redirectUris: ['nope'] }]),
    );
    assert.ok(problems.length > 0);
    for (const problem of problems) assert.ok(!problem.includes(secret), problem);
  });
});
