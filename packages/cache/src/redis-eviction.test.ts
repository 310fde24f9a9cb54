import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { freePort, requireService, waitFor } from '@kith/testkit';
import { createRedisClient } from './redis-client.js';
import type { Redis } from './redis-client.js';
import { RedisEvictionPolicyError, assertRedisNoEviction } from './redis-eviction.js';

const redisUrl = await requireService('redis');

function recordingLogger() {
  const warnings: string[] = [];
  return { warnings, warn: (_obj: object, msg?: string) => void warnings.push(msg ?? '') };
}

describe.skipIf(!redisUrl && 'REDIS_URL unset')('the Redis eviction policy check at start', () => {
  it('accepts the configured Redis, whose policy is noeviction', async () => {
    const client = createRedisClient({ url: redisUrl! });
    await client.connect();
    try {
      const logger = recordingLogger();
      await assertRedisNoEviction(client, logger);
      assert.deepEqual(logger.warnings, []);
    } finally {
      client.disconnect();
    }
  });

  describe('against a Redis that evicts', () => {
    let server: ReturnType<typeof spawn>;
    let client: Redis;
    beforeAll(async () => {
      const port = await freePort();
      server = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--save',
          '',
          '--appendonly',
          'no',
          '--maxmemory-policy',
          'volatile-lru',
        ],
        { stdio: 'ignore' },
      );
      await waitFor(
        () =>
          new Promise<boolean>((resolve) => {
            const probe = net.connect(port, '127.0.0.1');
            probe.once('connect', () => {
              probe.destroy();
              resolve(true);
            });
            probe.once('error', () => resolve(false));
          }),
        { timeoutMs: 10_000, what: 'the second redis-server to listen' },
      );
      client = createRedisClient({ url: `redis://127.0.0.1:${port}` });
      await client.connect();
    });
    afterAll(() => {
      client?.disconnect();
      server?.kill();
    });

    it('refuses a policy that may evict keys with a TTL (revocation entries have one)', async () => {
      await assert.rejects(
        assertRedisNoEviction(client, recordingLogger()),
        (err: unknown) =>
          err instanceof RedisEvictionPolicyError && /volatile-lru.*noeviction/.test(err.message),
      );
    });

    it('warns loudly and goes on when CONFIG is not allowed', async () => {
      await client.call('ACL', 'SETUSER', 'default', '-config');
      const logger = recordingLogger();
      await assertRedisNoEviction(client, logger);
      assert.equal(logger.warnings.length, 1);
      assert.match(logger.warnings[0]!, /MUST be noeviction/);
    });
  });
});
