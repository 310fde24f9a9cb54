import type { ListStore } from './list-store.js';

/**
 * ListStore in process memory (embedded mode and tests), with the same semantics as Redis:
 * lists expire `ttlMs` after they were built or last read, and at most `maxLists` are held
 * (the least recently used go first).
 */
export function createMemoryListStore(
  options: { maxLists?: number; now?: () => number } = {},
): ListStore {
  const maxLists = options.maxLists ?? 10_000;
  const now = options.now ?? Date.now;
  // Map order is use order: a read moves the list to the end, eviction takes the first.
  const lists = new Map<string, { items: string[]; expiresAt: number }>();
  const live = (key: string) => {
    const list = lists.get(key);
    if (!list) return undefined;
    if (list.expiresAt <= now()) {
      lists.delete(key);
      return undefined;
    }
    return list;
  };
  const push = (key: string, items: readonly string[], cap: number) => {
    const list = live(key);
    if (!list) return;
    list.items = [...items, ...list.items].slice(0, cap);
  };
  return {
    async push(key, items, { cap }) {
      push(key, items, cap);
    },
    async pushEach(keys, items, { cap }) {
      for (const key of keys) push(key, items, cap);
    },
    async replace(key, items, { cap, ttlMs }) {
      lists.delete(key);
      if (items.length === 0) return;
      lists.set(key, { items: items.slice(0, cap), expiresAt: now() + ttlMs });
      while (lists.size > maxLists) lists.delete(lists.keys().next().value!);
    },
    async read(key, { ttlMs }) {
      const list = live(key);
      if (!list) return null;
      lists.delete(key);
      lists.set(key, { items: list.items, expiresAt: now() + ttlMs });
      return [...list.items];
    },
    async del(key) {
      lists.delete(key);
    },
  };
}
