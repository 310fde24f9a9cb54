import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { Code, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { apiKeyCacheKey, generateApiKeySecret, hashApiKey } from '@kith/authn';
import { UserService } from '@kith/gen/kith/user/v1/user_pb.js';
import { userModule } from '@kith/user-service';
import { codeOf, seedUser, startAuthHarness } from '../testing/index.js';
import type { AuthHarness } from '../testing/index.js';

/** The process cache's bound in embedded mode and in distributed mode without Redis. */
const PROCESS_CACHE_ENTRIES = 100_000;

describe('revocation state in a process without Redis', () => {
  let h: AuthHarness;
  const userServiceAs = (headers: Record<string, string>) =>
    createClient(
      UserService,
      createConnectTransport({
        baseUrl: h.url,
        httpVersion: '1.1',
        interceptors: [
          (next) => (req) => {
            for (const [name, value] of Object.entries(headers)) req.header.set(name, value);
            return next(req);
          },
        ],
      }),
    );
  /** A call at the user service: anything but Unauthenticated means the credentials were let through. */
  const atUserService = (token: string) =>
    codeOf(userServiceAs({ authorization: `Bearer ${token}` }).getSettings({}));

  beforeAll(async () => {
    h = await startAuthHarness({ modules: [userModule] });
  });
  afterAll(() => h.stop());

  test('a logged-out token stays refused however much else the process cache is made to hold', async () => {
    const user = await seedUser(h);
    await h.as(user.accessToken).auth.logout({});
    assert.equal(await atUserService(user.accessToken), Code.Unauthenticated);
    // What a flood of anonymous requests leaves behind: more entries than the cache holds.
    const cache = h.kith.contexts.get('user')!.cache;
    for (let i = 0; i <= PROCESS_CACHE_ENTRIES; i++) {
      await cache.set(`flood:${i}`, '1', { ttlMs: 60_000 });
    }
    assert.equal(await atUserService(user.accessToken), Code.Unauthenticated, 'still revoked');
  });

  test('random API keys are remembered apart from the process cache', async () => {
    const keys = Array.from({ length: 20 }, () => generateApiKeySecret());
    for (const key of keys) {
      assert.equal(
        await codeOf(userServiceAs({ 'x-api-key': key }).getSettings({})),
        Code.Unauthenticated,
      );
    }
    const cache = h.kith.contexts.get('user')!.cache;
    for (const key of keys) {
      assert.equal(await cache.get(apiKeyCacheKey(hashApiKey(key))), null);
    }
  });
});
