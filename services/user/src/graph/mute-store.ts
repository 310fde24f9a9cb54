import { fetchPage } from '@kith/db';
import type { PageTokenCodec } from '@kith/db';
import type { Kysely } from 'kysely';
import { profileShownAt } from '../profiles/profile-visibility.js';
import type { GraphViewDb } from './graph-db.js';
import type { ListedUser } from './follow-store.js';

/**
 * Mutes, or replaces the mute's duration and options (a re-mute). A mute that had already run
 * out counts as new: it starts again at `now`.
 */
export async function upsertMute(
  db: Kysely<GraphViewDb>,
  mute: {
    muterId: string;
    mutedId: string;
    includeNotifications: boolean;
    expiresAt: Date | null;
    now: Date;
  },
): Promise<void> {
  await db
    .insertInto('mutes')
    .values({
      muter_id: mute.muterId,
      muted_id: mute.mutedId,
      include_notifications: mute.includeNotifications,
      expires_at: mute.expiresAt,
      created_at: mute.now,
    })
    .onConflict((oc) =>
      oc.columns(['muter_id', 'muted_id']).doUpdateSet((eb) => ({
        include_notifications: eb.ref('excluded.include_notifications'),
        expires_at: eb.ref('excluded.expires_at'),
        created_at: eb
          .case()
          .when(
            eb.and([
              eb('mutes.expires_at', 'is not', null),
              eb('mutes.expires_at', '<=', mute.now),
            ]),
          )
          .then(eb.ref('excluded.created_at'))
          .else(eb.ref('mutes.created_at'))
          .end(),
      })),
    )
    .execute();
}

/** Ends the mute; false when there was none. */
export async function deleteMute(
  db: Kysely<GraphViewDb>,
  muterId: string,
  mutedId: string,
): Promise<boolean> {
  const row = await db
    .deleteFrom('mutes')
    .where('muter_id', '=', muterId)
    .where('muted_id', '=', mutedId)
    .returning('muter_id')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Deletes up to `limit` mutes that ran out at or before `now` and returns them; rows another
 * transaction is expiring are skipped, so each mute is returned by exactly one call.
 */
export async function deleteExpiredMutes(
  db: Kysely<GraphViewDb>,
  now: Date,
  limit: number,
): Promise<{ muterId: string; mutedId: string }[]> {
  const due = await db
    .selectFrom('mutes')
    .select(['muter_id', 'muted_id'])
    .where('expires_at', '<=', now)
    .orderBy('expires_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
  if (due.length === 0) return [];
  const rows = await db
    .deleteFrom('mutes')
    .where((eb) =>
      eb.or(
        due.map((row) =>
          eb.and([eb('muter_id', '=', row.muter_id), eb('muted_id', '=', row.muted_id)]),
        ),
      ),
    )
    .where('expires_at', '<=', now)
    .returning(['muter_id', 'muted_id'])
    .execute();
  return rows.map((row) => ({ muterId: row.muter_id, mutedId: row.muted_id }));
}

/** A muted user in the list, with the mute's terms. */
export interface ListedMute extends ListedUser {
  expires_at: Date | null;
  include_notifications: boolean;
}

/** A page of the users `muterId` mutes at `now`, newest first (expired and hidden left out). */
export function mutesPage(
  db: Kysely<GraphViewDb>,
  input: {
    muterId: string;
    now: Date;
    pageSize: number;
    pageToken: string;
    codec: PageTokenCodec;
  },
) {
  const query = db
    .selectFrom('mutes')
    .innerJoin('profiles', 'profiles.user_id', 'mutes.muted_id')
    .select([
      'profiles.user_id',
      'profiles.username',
      'profiles.display_name',
      'profiles.avatar_url',
      'profiles.locked',
      'mutes.created_at',
      'mutes.expires_at',
      'mutes.include_notifications',
    ])
    .where('mutes.muter_id', '=', input.muterId)
    .where((eb) =>
      eb.or([eb('mutes.expires_at', 'is', null), eb('mutes.expires_at', '>', input.now)]),
    )
    .where(profileShownAt(input.now));
  return fetchPage(query, {
    columns: [
      { ref: 'mutes.created_at', direction: 'desc' },
      { ref: 'mutes.muted_id', direction: 'desc' },
    ],
    pageSize: input.pageSize,
    pageToken: input.pageToken,
    codec: input.codec,
    binding: `user.ListMutes|${input.muterId}`,
    keysOf: (row: ListedMute) => [row.created_at],
    idOf: (row: ListedMute) => row.user_id,
  });
}
