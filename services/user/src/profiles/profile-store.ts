import type { AccountEnforcement } from '@kith/runtime';
import { sql } from 'kysely';
import type { Kysely, Selectable } from 'kysely';
import type { GraphDb } from '../graph/relationship-store.js';
import type { ProfileTable, StoredLink } from './profile-table.js';
import { trigramsOf } from './search-trigrams.js';
import type { ContactTable, SettingsTable } from './settings-table.js';

/** The tables the profile store reads and writes. */
export interface ProfilesDb {
  profiles: ProfileTable;
  settings: SettingsTable;
  contacts: ContactTable;
}

/** A new profile for a registered account, named after its username until the user says otherwise. */
export async function insertProfile(
  db: Kysely<ProfilesDb>,
  profile: { userId: string; username: string; locale: string },
): Promise<void> {
  const trigrams = trigramsOf(profile.username);
  await db
    .insertInto('profiles')
    .values({
      user_id: profile.userId,
      username: profile.username,
      display_name: profile.username,
      locale: profile.locale,
      deleted_at: null,
      username_trigrams: trigrams,
      name_trigrams: trigrams,
    })
    .execute();
}

/** Removes a profile for good; nothing happens when it is already gone. */
export async function deleteProfile(db: Kysely<ProfilesDb>, userId: string): Promise<void> {
  await db.deleteFrom('profiles').where('user_id', '=', userId).execute();
}

/**
 * Marks a pending account deletion (hiding the profile from everyone but its owner), or clears
 * it with null when the deletion is cancelled. `requestedAt` (default: now) is what GetSettings
 * shows as the request time. Call it through `markDeletionScheduled`
 * (profiles/deletion-mark.ts), which also drops the cached profile after commit.
 */
export async function setDeletionScheduled(
  db: Kysely<ProfilesDb>,
  userId: string,
  scheduledFor: Date | null,
  requestedAt?: Date,
): Promise<void> {
  await db
    .updateTable('profiles')
    .set({
      deletion_scheduled_for: scheduledFor,
      deletion_requested_at:
        scheduledFor === null ? null : requestedAt ? requestedAt : sql<Date>`now()`,
    })
    .where('user_id', '=', userId)
    .execute();
}

/** What profile reads need of a row. */
export const profileColumns = [
  'user_id',
  'username',
  'display_name',
  'bio',
  'avatar_media_id',
  'avatar_url',
  'links',
  'locked',
  'hide_follow_lists',
  'version',
  'created_at',
  'deleted_at',
  'deletion_scheduled_for',
  'deletion_requested_at',
  'disabled_at',
  'moderation_suspended',
  'moderation_suspended_until',
  'moderation_banned',
] as const;

export type ProfileRow = Pick<Selectable<ProfileTable>, (typeof profileColumns)[number]>;

/** One profile by id, or undefined. */
export async function findProfile(
  db: Kysely<ProfilesDb>,
  userId: string,
): Promise<ProfileRow | undefined> {
  return db
    .selectFrom('profiles')
    .select(profileColumns)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

/** The id of the profile with this username, compared case-insensitively. */
export async function findProfileIdByUsername(
  db: Kysely<ProfilesDb>,
  username: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('profiles')
    .select('user_id')
    .where(sql<string>`lower(username)`, '=', username.toLowerCase())
    .executeTakeFirst();
  return row?.user_id;
}

/** The profiles of `ids` that exist, in no particular order. */
export async function findProfiles(
  db: Kysely<ProfilesDb>,
  ids: readonly string[],
): Promise<ProfileRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('profiles').select(profileColumns).where('user_id', 'in', ids).execute();
}

/** The profile, locked for an update in this transaction. */
export async function lockProfile(
  db: Kysely<ProfilesDb>,
  userId: string,
): Promise<ProfileRow | undefined> {
  return db
    .selectFrom('profiles')
    .select(profileColumns)
    .where('user_id', '=', userId)
    .forUpdate()
    .executeTakeFirst();
}

/** The writable fields of a profile; those given are written. */
export interface ProfileChanges {
  displayName?: string;
  bio?: string;
  avatarMediaId?: string | null;
  avatarUrl?: string;
  links?: StoredLink[];
  locked?: boolean;
  hideFollowLists?: boolean;
}

/** Writes the given fields and bumps the profile's version; returns the row as it now is. */
export async function updateProfileFields(
  db: Kysely<ProfilesDb>,
  userId: string,
  changes: ProfileChanges,
  now: Date,
): Promise<ProfileRow> {
  return db
    .updateTable('profiles')
    .set({
      ...(changes.displayName !== undefined && {
        display_name: changes.displayName,
        name_trigrams: trigramsOf(changes.displayName),
      }),
      ...(changes.bio !== undefined && { bio: changes.bio }),
      ...(changes.avatarMediaId !== undefined && { avatar_media_id: changes.avatarMediaId }),
      ...(changes.avatarUrl !== undefined && { avatar_url: changes.avatarUrl }),
      ...(changes.links !== undefined && { links: JSON.stringify(changes.links) }),
      ...(changes.locked !== undefined && { locked: changes.locked }),
      ...(changes.hideFollowLists !== undefined && { hide_follow_lists: changes.hideFollowLists }),
      version: sql<string>`version + 1`,
      updated_at: now,
    })
    .where('user_id', '=', userId)
    .returning(profileColumns)
    .executeTakeFirstOrThrow();
}

/** Staff disabled the account (a time) or enabled it again (null). */
export async function setProfileDisabled(
  db: Kysely<ProfilesDb>,
  userId: string,
  disabledAt: Date | null,
): Promise<void> {
  await db
    .updateTable('profiles')
    .set({ disabled_at: disabledAt })
    .where('user_id', '=', userId)
    .execute();
}

/**
 * Applies moderation's enforcement of an account when `version` is newer than the one stored;
 * true when it was applied (an older or replayed event changes nothing).
 */
export async function applyAccountEnforcement(
  db: Kysely<ProfilesDb>,
  userId: string,
  version: bigint,
  enforcement: AccountEnforcement,
): Promise<boolean> {
  const result = await db
    .updateTable('profiles')
    .set({
      moderation_version: version.toString(),
      moderation_limited: enforcement.limited,
      moderation_suspended: enforcement.suspended,
      moderation_suspended_until: enforcement.suspendedUntil,
      moderation_banned: enforcement.banned,
    })
    .where('user_id', '=', userId)
    .where('moderation_version', '<', version.toString())
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Of `ids`, the users who block `viewerId` (one direction: a block the viewer made is shown). */
export async function blockersOf(
  db: Kysely<GraphDb>,
  viewerId: string,
  ids: readonly string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectFrom('blocks')
    .select('blocker_id')
    .where('blocked_id', '=', viewerId)
    .where('blocker_id', 'in', ids)
    .execute();
  return new Set(rows.map((row) => row.blocker_id));
}

/** Forgets the account's e-mail address; nothing happens when there is none. */
export async function deleteContact(db: Kysely<ProfilesDb>, userId: string): Promise<void> {
  await db.deleteFrom('contacts').where('user_id', '=', userId).execute();
}

/** The account's current e-mail address (from auth's events), for e-mail notifications. */
export async function upsertContactEmail(
  db: Kysely<ProfilesDb>,
  userId: string,
  email: string,
  now: Date,
): Promise<void> {
  await db
    .insertInto('contacts')
    .values({ user_id: userId, email, updated_at: now })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ email, updated_at: now }))
    .execute();
}
