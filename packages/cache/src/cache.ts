/**
 * A small string cache with mandatory TTLs. Every entry expires, so a cache can never grow
 * without bound in Redis nor keep stale data forever.
 */
export interface Cache {
  get(key: string): Promise<string | null>;
  /** The values of `keys` in their order (null where absent), in one round trip. */
  getMany(keys: readonly string[]): Promise<(string | null)[]>;
  set(key: string, value: string, options: TtlOptions): Promise<void>;
  /** Stores only when the key is absent (or expired); true when this call stored it. Atomic. */
  setIfAbsent(key: string, value: string, options: TtlOptions): Promise<boolean>;
  del(key: string): Promise<void>;
  /** Adds one and returns the new value; a new counter starts at 1 and expires after ttlMs. */
  incr(key: string, options: TtlOptions): Promise<number>;
  /** Resolves when the store answers; rejects otherwise (readiness checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface TtlOptions {
  /** Time to live in milliseconds, a positive integer. */
  ttlMs: number;
}

/**
 * The store cannot take the command now (closed, not connected, or too many commands waiting
 * for a reconnect). Callers treat it like a miss; it is never worth queueing a request for.
 */
export class CacheUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CacheUnavailableError';
  }
}

export function assertTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new RangeError(`ttlMs must be a positive integer, got ${ttlMs}`);
  }
}

/** A store that refuses to forget live entries had no room for a new one. */
export class CacheFullError extends CacheUnavailableError {
  constructor(message: string) {
    super(message);
    this.name = 'CacheFullError';
  }
}
