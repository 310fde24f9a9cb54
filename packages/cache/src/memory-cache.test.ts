import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { runCacheContract } from './cache-contract.js';
import { CacheFullError, CacheUnavailableError } from './cache.js';
import { createMemoryCache } from './memory-cache.js';

function fakeClock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

runCacheContract('memory', async () => {
  const clock = fakeClock();
  return {
    cache: createMemoryCache({ now: clock.now, maxEntries: 1000 }),
    shortTtlMs: 1000,
    advance: async (ms) => clock.advance(ms),
  };
});

runCacheContract('memory (refusing when full)', async () => {
  const clock = fakeClock();
  return {
    cache: createMemoryCache({ now: clock.now, maxEntries: 1000, whenFull: 'refuse' }),
    shortTtlMs: 1000,
    advance: async (ms) => clock.advance(ms),
  };
});

describe('createMemoryCache', () => {
  it('expires exactly at the TTL on the injected clock', async () => {
    const clock = fakeClock();
    const cache = createMemoryCache({ now: clock.now });
    await cache.set('k', 'v', { ttlMs: 500 });
    clock.advance(499);
    assert.equal(await cache.get('k'), 'v');
    clock.advance(1);
    assert.equal(await cache.get('k'), null);
    await cache.close();
  });

  it('evicts the least recently used entry beyond maxEntries', async () => {
    const cache = createMemoryCache({ maxEntries: 3 });
    const ttl = { ttlMs: 60_000 };
    await cache.set('a', '1', ttl);
    await cache.set('b', '2', ttl);
    await cache.set('c', '3', ttl);
    assert.equal(await cache.get('a'), '1'); // a is now the most recently used
    await cache.set('d', '4', ttl);
    assert.equal(await cache.get('b'), null);
    assert.equal(await cache.get('a'), '1');
    assert.equal(await cache.get('c'), '3');
    assert.equal(await cache.get('d'), '4');
    await cache.close();
  });

  it('when told to refuse, never forgets a live entry: it refuses the new one and fails closed until that one would have expired', async () => {
    const clock = fakeClock();
    const cache = createMemoryCache({ now: clock.now, maxEntries: 2, whenFull: 'refuse' });
    await cache.set('revoked-a', '1', { ttlMs: 60_000 });
    await cache.set('revoked-b', '1', { ttlMs: 60_000 });
    await assert.rejects(cache.set('noise', '1', { ttlMs: 30_000 }), CacheFullError);
    await assert.rejects(cache.get('revoked-a'), CacheUnavailableError);
    clock.advance(30_000);
    assert.equal(await cache.get('revoked-a'), '1', 'kept, readable again');
    assert.equal(await cache.get('revoked-b'), '1');
    assert.equal(await cache.get('noise'), null);
    clock.advance(30_000);
    await cache.set('revoked-c', '1', { ttlMs: 60_000 });
    assert.equal(await cache.get('revoked-c'), '1', 'expired entries made room');
    await cache.close();
  });
});
