import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { uniqueName, waitFor } from '@kith/testkit';
import { clientKey } from './client-key.js';
import type { RateLimiter, RateLimiterOptions } from './rate-limiter.js';

export type LimiterSpec = Pick<
  RateLimiterOptions,
  'keyPrefix' | 'points' | 'durationSec' | 'blockDurationSec'
>;

/** The behaviour every RateLimiter store must show; `create` builds a limiter on that store. */
export function runRateLimiterContract(
  name: string,
  create: (spec: LimiterSpec) => RateLimiter,
): void {
  const limiter = (spec: Omit<LimiterSpec, 'keyPrefix'>) =>
    create({ keyPrefix: uniqueName('rl'), ...spec });

  describe(`RateLimiter contract: ${name}`, () => {
    it('allows the quota, then denies with a retry delay', async () => {
      const rl = limiter({ points: 3, durationSec: 60 });
      const allowed = [];
      for (let i = 0; i < 3; i++) allowed.push(await rl.consume('client'));
      assert.deepEqual(
        allowed.map((r) => [r.allowed, r.remaining, r.limit, r.retryAfterMs]),
        [
          [true, 2, 3, 0],
          [true, 1, 3, 0],
          [true, 0, 3, 0],
        ],
      );
      const denied = await rl.consume('client');
      assert.equal(denied.allowed, false);
      assert.equal(denied.remaining, 0);
      assert.equal(denied.limit, 3);
      assert.equal(denied.windowSec, 60);
      assert.ok(denied.retryAfterMs > 0 && denied.retryAfterMs <= 60_000, `${denied.retryAfterMs}`);
      assert.ok(denied.resetMs > 0 && denied.resetMs <= 60_000);
    });

    it('charges several points at once', async () => {
      const rl = limiter({ points: 10, durationSec: 60 });
      assert.equal((await rl.consume('k', 7)).remaining, 3);
      assert.equal((await rl.consume('k', 4)).allowed, false);
    });

    it('keeps keys and limiters apart', async () => {
      const a = limiter({ points: 1, durationSec: 60 });
      const b = limiter({ points: 1, durationSec: 60 });
      assert.equal((await a.consume('alice')).allowed, true);
      assert.equal((await a.consume('alice')).allowed, false);
      assert.equal((await a.consume('bob')).allowed, true);
      assert.equal((await b.consume('alice')).allowed, true);
    });

    it('never allows more than the quota under concurrency', async () => {
      const rl = limiter({ points: 5, durationSec: 60 });
      const results = await Promise.all(Array.from({ length: 20 }, () => rl.consume('burst')));
      assert.equal(results.filter((r) => r.allowed).length, 5);
    });

    it('counts an IPv6 /64 as one client', async () => {
      const rl = limiter({ points: 2, durationSec: 60 });
      assert.equal((await rl.consume(clientKey('2001:db8:1:2::5'))).allowed, true);
      assert.equal((await rl.consume(clientKey('2001:db8:1:2:ffff::1'))).allowed, true);
      assert.equal((await rl.consume(clientKey('2001:db8:1:2:abcd::9'))).allowed, false);
      assert.equal((await rl.consume(clientKey('2001:db8:1:3::5'))).allowed, true);
      assert.equal((await rl.consume(clientKey('::ffff:192.0.2.1'))).allowed, true);
      assert.equal((await rl.consume(clientKey('192.0.2.1'))).allowed, true);
      assert.equal((await rl.consume(clientKey('192.0.2.1'))).allowed, false);
    });

    it('blocks for blockDurationSec once exceeded', async () => {
      const rl = limiter({ points: 1, durationSec: 1, blockDurationSec: 30 });
      assert.equal((await rl.consume('k')).allowed, true);
      const denied = await rl.consume('k');
      assert.equal(denied.allowed, false);
      assert.ok(
        denied.retryAfterMs > 1000 && denied.retryAfterMs <= 30_000,
        `${denied.retryAfterMs}`,
      );
    });

    it('reset(key) gives the quota back', async () => {
      const rl = limiter({ points: 1, durationSec: 60, blockDurationSec: 60 });
      await rl.consume('k');
      assert.equal((await rl.consume('k')).allowed, false);
      await rl.reset('k');
      assert.equal((await rl.consume('k')).allowed, true);
    });

    it('allows again once the window has passed', async () => {
      const rl = limiter({ points: 1, durationSec: 1 });
      assert.equal((await rl.consume('k')).allowed, true);
      assert.equal((await rl.consume('k')).allowed, false);
      // The stores keep their own clocks (rate-limiter-flexible, Redis TTL): wait out 1 s.
      await waitFor(async () => (await rl.consume('k')).allowed, {
        timeoutMs: 3000,
        intervalMs: 100,
        what: 'window reset',
      });
    });
  });
}
