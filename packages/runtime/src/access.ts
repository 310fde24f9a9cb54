import { NotFoundError } from '@kith/errors';

/**
 * One bulk check per permission: given the caller and candidate ids, the subset the caller may
 * act on. A check reads its own service's tables or projections in one query (never one query
 * per id) and knows nothing of errors: absence from the answer is the refusal.
 */
export type AccessCheck<C> = (caller: C, ids: readonly string[]) => Promise<Iterable<string>>;

/**
 * A service's whole access policy: every permission it knows, each mapped to its check, in one
 * object a reviewer can audit line by line. Handlers never decide visibility themselves.
 */
export type AccessTable<C, P extends string> = Readonly<Record<P, AccessCheck<C>>>;

export interface Access<C, P extends string> {
  /**
   * Throws NotFound unless the caller holds `permission` on every id. NotFound, not
   * PermissionDenied, so a caller cannot tell an id it may not see from one that does not
   * exist; the message names neither the id nor the reason.
   */
  require(caller: C, permission: P, ids: string | readonly string[], noun?: string): Promise<void>;
  /** The ids the caller holds `permission` on, in the order given (for lists and batch reads). */
  filter(caller: C, permission: P, ids: readonly string[]): Promise<string[]>;
}

/** Builds a service's `requireAccess`/`filter` from its permission table. */
export function defineAccess<C, P extends string>(table: AccessTable<C, P>): Access<C, P> {
  const allowed = async (caller: C, permission: P, ids: readonly string[]) => {
    const check = table[permission];
    if (!check) throw new Error(`no access check for permission ${permission}`);
    if (ids.length === 0) return new Set<string>();
    return new Set(await check(caller, [...new Set(ids)]));
  };
  return {
    async require(caller, permission, ids, noun) {
      const list = typeof ids === 'string' ? [ids] : ids;
      const ok = await allowed(caller, permission, list);
      if (list.length === 0 || list.some((id) => !ok.has(id))) {
        throw new NotFoundError(noun ? `${noun} not found` : 'not found');
      }
    },
    async filter(caller, permission, ids) {
      const ok = await allowed(caller, permission, ids);
      return ids.filter((id) => ok.has(id));
    },
  };
}
