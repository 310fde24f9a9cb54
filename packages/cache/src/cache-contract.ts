import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'vitest';
import { waitFor } from '@kith/testkit';
import type { Cache } from './cache.js';

export interface CacheHarness {
  cache: Cache;
  /** A TTL this store can be seen to expire in a test (memory: any; Redis: real ms). */
  shortTtlMs: number;
  /** Lets time pass for the cache: advances an injected clock, or sleeps for a real store. */
  advance(ms: number): Promise<void>;
}

const LONG = { ttlMs: 60_000 };

/** The behaviour every Cache adapter must show. `factory` gives a fresh, empty cache. */
export function runCacheContract(name: string, factory: () => Promise<CacheHarness>): void {
  describe(`Cache contract: ${name}`, () => {
    let h: CacheHarness;
    beforeEach(async () => {
      h = await factory();
    });
    afterEach(async () => {
      await h.cache.close();
    });

    it('stores, overwrites and deletes values', async () => {
      const { cache } = h;
      assert.equal(await cache.get('missing'), null);
      await cache.set('k', 'v1', LONG);
      assert.equal(await cache.get('k'), 'v1');
      await cache.set('k', 'v2', LONG);
      assert.equal(await cache.get('k'), 'v2');
      await cache.del('k');
      assert.equal(await cache.get('k'), null);
      await cache.del('never-set');
    });

    it('getMany answers each key in the order asked, null where absent or expired', async () => {
      const { cache } = h;
      assert.deepEqual(await cache.getMany([]), []);
      await cache.set('a', '1', LONG);
      await cache.set('c', '3', LONG);
      await cache.set('gone', 'x', { ttlMs: h.shortTtlMs });
      await h.advance(h.shortTtlMs + 1);
      assert.deepEqual(await cache.getMany(['c', 'b', 'a', 'gone', 'a']), [
        '3',
        null,
        '1',
        null,
        '1',
      ]);
    });

    it('keeps keys apart', async () => {
      const { cache } = h;
      await cache.set('a', '1', LONG);
      await cache.set('b', '2', LONG);
      await cache.del('a');
      assert.equal(await cache.get('a'), null);
      assert.equal(await cache.get('b'), '2');
      assert.equal(await cache.incr('a', LONG), 1);
      assert.equal(await cache.get('b'), '2');
    });

    it('forgets a value once its TTL has passed', async () => {
      const { cache } = h;
      await cache.set('ttl', 'v', { ttlMs: h.shortTtlMs });
      await cache.set('kept', 'v', LONG);
      assert.equal(await cache.get('ttl'), 'v');
      await h.advance(h.shortTtlMs);
      await waitFor(async () => (await cache.get('ttl')) === null, {
        timeoutMs: 2000,
        what: 'ttl expiry',
      });
      assert.equal(await cache.get('kept'), 'v');
    });

    it('setIfAbsent stores only when absent, and again after delete or expiry', async () => {
      const { cache } = h;
      assert.equal(await cache.setIfAbsent('once', 'first', { ttlMs: h.shortTtlMs }), true);
      assert.equal(await cache.setIfAbsent('once', 'second', LONG), false);
      assert.equal(await cache.get('once'), 'first');
      await h.advance(h.shortTtlMs + 20);
      await waitFor(async () => (await cache.get('once')) === null, { timeoutMs: 2000 });
      assert.equal(await cache.setIfAbsent('once', 'third', LONG), true);
      await cache.del('once');
      assert.equal(await cache.setIfAbsent('once', 'fourth', LONG), true);
      assert.equal(await cache.get('once'), 'fourth');
    });

    it('setIfAbsent lets exactly one of 20 concurrent callers win', async () => {
      const { cache } = h;
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) => cache.setIfAbsent('race', `caller-${i}`, LONG)),
      );
      assert.equal(outcomes.filter(Boolean).length, 1);
      assert.equal(await cache.get('race'), `caller-${outcomes.indexOf(true)}`);
    });

    it('incr counts from 1 and never loses a concurrent increment', async () => {
      const { cache } = h;
      assert.equal(await cache.incr('n', LONG), 1);
      assert.equal(await cache.incr('n', LONG), 2);
      assert.equal(await cache.get('n'), '2');
      const values = await Promise.all(Array.from({ length: 20 }, () => cache.incr('m', LONG)));
      assert.deepEqual(
        [...values].sort((a, b) => a - b),
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
    });

    it('incr sets the TTL when the counter is created and does not extend it', async () => {
      const { cache } = h;
      const ttl = h.shortTtlMs;
      assert.equal(await cache.incr('window', { ttlMs: ttl }), 1);
      await h.advance(Math.floor(ttl / 2));
      assert.equal(await cache.incr('window', { ttlMs: ttl }), 2);
      // Past the first TTL but short of a TTL counted from the second incr.
      await h.advance(Math.ceil(ttl / 2) + Math.floor(ttl / 5));
      assert.equal(await cache.get('window'), null);
      assert.equal(await cache.incr('window', { ttlMs: ttl }), 1);
    });

    it('incr refuses a value that is not an integer', async () => {
      const { cache } = h;
      await cache.set('text', 'hello', LONG);
      await assert.rejects(cache.incr('text', LONG));
      assert.equal(await cache.get('text'), 'hello');
    });

    it('rejects a TTL that is not a positive integer', async () => {
      const { cache } = h;
      await assert.rejects(cache.set('k', 'v', { ttlMs: 0 }), RangeError);
      await assert.rejects(cache.setIfAbsent('k', 'v', { ttlMs: -5 }), RangeError);
      await assert.rejects(cache.incr('k', { ttlMs: 1.5 }), RangeError);
      assert.equal(await cache.get('k'), null);
    });

    it('answers ping while open and refuses commands once closed', async () => {
      const { cache } = h;
      await cache.ping();
      await cache.close();
      await assert.rejects(cache.get('k'));
      await assert.rejects(cache.ping());
    });
  });
}
