import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { createRedisCache } from '@kith/cache';
import type { RedisCache } from '@kith/cache';
import { loadEnv, platformEnvSchema, toPlatformConfig } from '@kith/config';
import { createRootLogger } from '@kith/logging';
import { requireService } from '@kith/testkit';
import { Registry } from 'prom-client';
import { createDistributedInfrastructure } from './infrastructure.js';

// A per-service Redis ACL user is configured through REDIS_URL alone (redis://user:pass@host).

const redisUrl = await requireService('redis');
const natsUrl = await requireService('nats');

describe.skipIf(!redisUrl || !natsUrl)('a Redis ACL user in REDIS_URL', () => {
  const user = `kith_test_${crypto.randomBytes(4).toString('hex')}`;
  const password = crypto.randomBytes(12).toString('hex');
  let admin: RedisCache;

  beforeAll(async () => {
    admin = createRedisCache({ url: redisUrl!, keyPrefix: 'unused:' });
    await admin.connect();
    // Only keys under REDIS_KEY_PREFIX (cache, revocations and rate limits), no dangerous commands.
    await admin.client.call(
      'ACL',
      'SETUSER',
      user,
      'on',
      `>${password}`,
      'resetkeys',
      '~kith:*',
      '+@all',
      '-@dangerous',
    );
  });
  afterAll(async () => {
    await admin.client.call('ACL', 'DELUSER', user);
    await admin.close();
  });

  function withRedis(url: string) {
    const env = loadEnv(platformEnvSchema, {
      KITH_MODE: 'distributed',
      DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused',
      PAGE_TOKEN_SECRET: 'p'.repeat(40),
      NATS_URL: natsUrl,
      REDIS_URL: url,
    });
    return createDistributedInfrastructure({
      config: toPlatformConfig(env),
      logger: createRootLogger({ level: 'silent' }),
      metrics: new Registry(),
      name: 'post',
    });
  }

  function urlFor(password: string): string {
    const url = new URL(redisUrl!);
    url.username = user;
    url.password = password;
    return url.toString();
  }

  test('the service works under its own user, within its key patterns', async () => {
    const infrastructure = await withRedis(urlFor(password));
    try {
      await infrastructure.cache.set('acl-check', 'yes', { ttlMs: 10_000 });
      assert.equal(await infrastructure.cache.get('acl-check'), 'yes');
      const limiter = infrastructure.rateLimiter({
        keyPrefix: 'rl:acl',
        points: 1,
        durationSec: 5,
      });
      assert.equal((await limiter.consume('k')).allowed, true);
      const whoami = await admin.client.call('CLIENT', 'LIST');
      assert.match(String(whoami), new RegExp(`user=${user}`));
    } finally {
      await infrastructure.close();
    }
  });

  test('a wrong password is refused at start', async () => {
    await assert.rejects(withRedis(urlFor('not-the-password')));
  });
});
