import type { ContextKey, ContextValues } from '@connectrpc/connect';

/**
 * connect-es's `createContextValues`, as a class: its object literal makes the three methods
 * anew for every call, and the server makes one of these per call. Values are kept the same
 * way (a property per key's symbol), so they read and write alike.
 */
export class CallValues implements ContextValues {
  get<T>(key: ContextKey<T>): T {
    return key.id in this ? (this as unknown as Record<symbol, T>)[key.id]! : key.defaultValue;
  }

  set<T>(key: ContextKey<T>, value: T): this {
    (this as unknown as Record<symbol, T>)[key.id] = value;
    return this;
  }

  delete(key: ContextKey<unknown>): this {
    delete (this as unknown as Record<symbol, unknown>)[key.id];
    return this;
  }
}
