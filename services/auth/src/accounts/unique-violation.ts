/**
 * The constraint a Postgres unique violation (SQLSTATE 23505) hit, or undefined for any other
 * error. Both drivers (pg, PGlite) put `code` and `constraint` on the error, possibly as a cause.
 */
export function uniqueViolationConstraint(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const candidate = current as { code?: unknown; constraint?: unknown; cause?: unknown };
    if (candidate.code === '23505') {
      return typeof candidate.constraint === 'string' ? candidate.constraint : '';
    }
    current = candidate.cause;
  }
  return undefined;
}

/** Which uniqueness rule of the accounts table a race lost to. */
export function accountConflict(err: unknown): 'email' | 'username' | undefined {
  const constraint = uniqueViolationConstraint(err);
  if (constraint === undefined) return undefined;
  if (constraint.includes('email_canonical')) return 'email';
  if (constraint.includes('username')) return 'username';
  return undefined;
}
