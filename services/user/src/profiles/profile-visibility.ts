import { expressionBuilder } from 'kysely';
import type { Expression, SqlBool } from 'kysely';
import type { ProfileTable } from './profile-table.js';

/** The names a query may give the profiles table that `profileShownAt` reads. */
export type ProfileAlias = 'profiles' | 'p';

/**
 * Whether a profile row is shown to someone other than its owner at `now`, as a WHERE
 * condition on `alias`: not erased, no deletion pending, not disabled by staff, not banned, and
 * not suspended by moderation unless the suspension has an end and it has passed. The same rule
 * as `hiddenFromOthers` (profile-view.ts) has for a cached row; profile-visibility.test.ts holds
 * the two to each other.
 */
export function profileShownAt(now: Date, alias: ProfileAlias = 'profiles'): Expression<SqlBool> {
  const eb = expressionBuilder<Record<ProfileAlias, ProfileTable>, ProfileAlias>();
  const column = <C extends keyof ProfileTable & string>(name: C) => `${alias}.${name}` as const;
  return eb.and([
    eb(column('deleted_at'), 'is', null),
    eb(column('deletion_scheduled_for'), 'is', null),
    eb(column('disabled_at'), 'is', null),
    eb(column('moderation_banned'), '=', false),
    eb.or([
      eb(column('moderation_suspended'), '=', false),
      eb.and([
        eb(column('moderation_suspended_until'), 'is not', null),
        eb(column('moderation_suspended_until'), '<=', now),
      ]),
    ]),
  ]);
}
