/**
 * Capped lists of strings by key, newest first: the hot copy of a home timeline. A missing list
 * means "not cached" (never "empty"): `push` adds only to lists that exist, so the users who
 * get entries are the ones whose list someone built (and read within its time to live).
 */
export interface ListStore {
  /** Prepends `items` (the first ends up first) to the list when it exists, then cuts it to `cap`. */
  push(key: string, items: readonly string[], options: { cap: number }): Promise<void>;
  /** `push` to each of `keys` (one round trip on Redis): a fan-out on write. */
  pushEach(
    keys: readonly string[],
    items: readonly string[],
    options: { cap: number },
  ): Promise<void>;
  /** Replaces the list with `items` (cut to `cap`), living `ttlMs`; an empty `items` drops it. */
  replace(
    key: string,
    items: readonly string[],
    options: { cap: number; ttlMs: number },
  ): Promise<void>;
  /** The whole list, or null when there is none; a read renews its time to live. */
  read(key: string, options: { ttlMs: number }): Promise<string[] | null>;
  del(key: string): Promise<void>;
}
