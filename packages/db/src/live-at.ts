import { sql } from 'kysely';
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';

/**
 * The predicate for rows still in force at `now`: no expiry, or one still ahead.
 * `.where(liveAt(now))`; `column` names a different expiry column or qualifies it (`k.expires_at`).
 */
export function liveAt(now: Date, column = 'expires_at') {
  return <DB, TB extends keyof DB>(eb: ExpressionBuilder<DB, TB>): Expression<SqlBool> => {
    const expiresAt = sql.ref<Date | null>(column);
    return eb.or([eb(expiresAt, 'is', null), eb(expiresAt, '>', now)]);
  };
}
