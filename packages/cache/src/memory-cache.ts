import { assertTtl, CacheUnavailableError } from './cache.js';
import type { Cache, TtlOptions } from './cache.js';

export interface MemoryCacheOptions {
  /** Clock in epoch ms; tests inject one to move time without sleeping. */
  now?: () => number;
  /** Upper bound on entries; the least recently used one is evicted beyond it. */
  maxEntries?: number;
}

interface Entry {
  value: string;
  expiresAt: number;
}

/** The embedded-mode cache: one process, bounded, least-recently-used eviction. */
export function createMemoryCache({
  now = Date.now,
  maxEntries = 10_000,
}: MemoryCacheOptions = {}): Cache {
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError('maxEntries must be a positive integer');
  }
  // A Map iterates in insertion order; re-inserting on access makes the first key the LRU one.
  const entries = new Map<string, Entry>();
  let closed = false;

  function ensureOpen(): void {
    if (closed) throw new CacheUnavailableError('memory cache is closed');
  }

  function live(key: string): Entry | undefined {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    entries.delete(key);
    entries.set(key, entry);
    return entry;
  }

  function store(key: string, value: string, ttlMs: number): void {
    entries.delete(key);
    entries.set(key, { value, expiresAt: now() + ttlMs });
    while (entries.size > maxEntries) {
      const oldest = entries.keys().next();
      if (oldest.done) break;
      entries.delete(oldest.value);
    }
  }

  return {
    async get(key) {
      ensureOpen();
      return live(key)?.value ?? null;
    },
    async set(key, value, { ttlMs }: TtlOptions) {
      ensureOpen();
      assertTtl(ttlMs);
      store(key, value, ttlMs);
    },
    async setIfAbsent(key, value, { ttlMs }: TtlOptions) {
      ensureOpen();
      assertTtl(ttlMs);
      if (live(key) !== undefined) return false;
      store(key, value, ttlMs);
      return true;
    },
    async del(key) {
      ensureOpen();
      entries.delete(key);
    },
    async incr(key, { ttlMs }: TtlOptions) {
      ensureOpen();
      assertTtl(ttlMs);
      const entry = live(key);
      if (entry === undefined) {
        store(key, '1', ttlMs);
        return 1;
      }
      // Same rule as Redis INCR: only a base-10 integer can be incremented.
      if (!/^-?\d+$/.test(entry.value)) throw new Error('value is not an integer');
      const next = Number(entry.value) + 1;
      if (!Number.isSafeInteger(next)) throw new Error('increment would overflow');
      entry.value = String(next);
      return next;
    },
    async ping() {
      ensureOpen();
    },
    async close() {
      closed = true;
      entries.clear();
    },
  };
}
