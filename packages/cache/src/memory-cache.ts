import { assertTtl, CacheFullError, CacheUnavailableError } from './cache.js';
import type { Cache, TtlOptions } from './cache.js';

export interface MemoryCacheOptions {
  /** Clock in epoch ms; tests inject one to move time without sleeping. */
  now?: () => number;
  /** Upper bound on entries (expired ones are dropped first when it is reached). */
  maxEntries?: number;
  /**
   * What a full cache does with a new entry. `evict` (default): drops the least recently used
   * one. `refuse`: keeps every live entry until it expires, refuses the new one with
   * CacheFullError and fails every read with CacheUnavailableError until the refused entry
   * would have expired: for state that must never be forgotten early (revocations), where a
   * caller failing closed is safe and an evicted entry is not.
   */
  whenFull?: 'evict' | 'refuse';
}

interface Entry {
  value: string;
  expiresAt: number;
}

/** The embedded-mode cache: one process, bounded, least-recently-used eviction or refusal. */
export function createMemoryCache({
  now = Date.now,
  maxEntries = 10_000,
  whenFull = 'evict',
}: MemoryCacheOptions = {}): Cache {
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError('maxEntries must be a positive integer');
  }
  // A Map iterates in insertion order; re-inserting on access makes the first key the LRU one.
  const entries = new Map<string, Entry>();
  let closed = false;
  /** Refuse mode: reads fail until then, because an entry that should exist was refused. */
  let forgetfulUntil = 0;

  function ensureOpen(): void {
    if (closed) throw new CacheUnavailableError('memory cache is closed');
  }

  function ensureReadable(): void {
    ensureOpen();
    if (forgetfulUntil > now()) {
      throw new CacheUnavailableError(
        'memory cache refused an entry and fails closed until it expires',
      );
    }
  }

  function dropExpired(): void {
    const at = now();
    for (const [key, entry] of entries) if (entry.expiresAt <= at) entries.delete(key);
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
    if (whenFull === 'refuse' && entries.size >= maxEntries) {
      dropExpired();
      if (entries.size >= maxEntries) {
        forgetfulUntil = Math.max(forgetfulUntil, now() + ttlMs);
        throw new CacheFullError(`memory cache is full (${maxEntries} live entries)`);
      }
    }
    entries.set(key, { value, expiresAt: now() + ttlMs });
    while (entries.size > maxEntries) {
      const oldest = entries.keys().next();
      if (oldest.done) break;
      entries.delete(oldest.value);
    }
  }

  return {
    async get(key) {
      ensureReadable();
      return live(key)?.value ?? null;
    },
    async getMany(keys) {
      ensureReadable();
      return keys.map((key) => live(key)?.value ?? null);
    },
    async set(key, value, { ttlMs }: TtlOptions) {
      ensureOpen();
      assertTtl(ttlMs);
      store(key, value, ttlMs);
    },
    async setIfAbsent(key, value, { ttlMs }: TtlOptions) {
      ensureReadable();
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
      ensureReadable();
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
