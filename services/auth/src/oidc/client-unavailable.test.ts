import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'vitest';
import { freePort } from '@kith/testkit';
import {
  ACCOUNTS,
  authorized,
  clientFor,
  REDIRECT,
  rejectsWith,
  SECRET,
} from './client-test-kit.js';
import { OidcRedirectNotAllowedError } from './index.js';
import { startTestOidcProvider } from './test-provider.js';

/** Accepts connections and never answers, like a hung provider; counts connections. */
async function startSilentServer() {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    issuer: `http://127.0.0.1:${port}`,
    connections: () => connections,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('OIDC client when the provider is not there', () => {
  test('a redirect URI off the allow-list is refused before any request', async () => {
    const silent = await startSilentServer();
    try {
      const client = clientFor(silent.issuer, 'kith-web', SECRET, { fetchTimeoutMs: 200 });
      await assert.rejects(
        client.start({ redirectUri: 'https://evil.example/cb' }),
        OidcRedirectNotAllowedError,
      );
      await assert.rejects(
        client.finish({
          callbackParams: { code: 'c', state: 's' },
          expected: {
            state: 's',
            nonce: 'n',
            codeVerifier: 'v',
            redirectUri: 'https://evil.example/cb',
          },
        }),
        OidcRedirectNotAllowedError,
      );
      await rejectsWith(
        client.finish({
          callbackParams: { code: 'c', state: 'forged' },
          expected: { state: 's', nonce: 'n', codeVerifier: 'v', redirectUri: REDIRECT },
        }),
        'state_mismatch',
      );
      assert.equal(silent.connections(), 0);
    } finally {
      await silent.stop();
    }
  });

  test('nothing listening: provider_unavailable', async () => {
    const client = clientFor(`http://127.0.0.1:${await freePort()}`, 'kith-web', SECRET);
    await rejectsWith(client.start({ redirectUri: REDIRECT }), 'provider_unavailable');
  });

  test('a provider that never answers: provider_unavailable once the timeout passes', async () => {
    const silent = await startSilentServer();
    try {
      const client = clientFor(silent.issuer, 'kith-web', SECRET, { fetchTimeoutMs: 300 });
      const began = Date.now();
      await rejectsWith(client.start({ redirectUri: REDIRECT }), 'provider_unavailable');
      const elapsed = Date.now() - began;
      assert.ok(elapsed >= 250, `gave up after ${elapsed} ms, before the timeout`);
      assert.ok(elapsed < 10_000, `still waiting after ${elapsed} ms`);
      assert.equal(silent.connections(), 1);
    } finally {
      await silent.stop();
    }
  });

  test('a provider gone between start and finish: provider_unavailable', async () => {
    const op = await startTestOidcProvider({
      clients: [{ client_id: 'kith-web', client_secret: SECRET, redirect_uris: [REDIRECT] }],
      accounts: ACCOUNTS,
    });
    const client = clientFor(op.issuer, 'kith-web', SECRET);
    const { callback, expected } = await authorized(op, client);
    await op.stop();
    await rejectsWith(
      client.finish({ callbackParams: callback, expected }),
      'provider_unavailable',
    );
  });

  test('a failed discovery is not cached: the next start retries and succeeds', async () => {
    const port = await freePort();
    const client = clientFor(`http://127.0.0.1:${port}`, 'kith-web', SECRET);
    await rejectsWith(client.start({ redirectUri: REDIRECT }), 'provider_unavailable');
    const op = await startTestOidcProvider({
      port,
      clients: [{ client_id: 'kith-web', client_secret: SECRET, redirect_uris: [REDIRECT] }],
      accounts: ACCOUNTS,
    });
    try {
      const { callback, expected } = await authorized(op, client);
      const identity = await client.finish({ callbackParams: callback, expected });
      assert.equal(identity.subject, 'alice');
    } finally {
      await op.stop();
    }
  });
});
