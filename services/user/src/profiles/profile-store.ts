import type { Kysely } from 'kysely';
import type { ProfileTable } from './profile-table.js';
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
  await db
    .insertInto('profiles')
    .values({
      user_id: profile.userId,
      username: profile.username,
      display_name: profile.username,
      locale: profile.locale,
      deleted_at: null,
    })
    .execute();
}

/** Removes a profile for good; nothing happens when it is already gone. */
export async function deleteProfile(db: Kysely<ProfilesDb>, userId: string): Promise<void> {
  await db.deleteFrom('profiles').where('user_id', '=', userId).execute();
}

/**
 * Marks a pending account deletion (hiding the profile from everyone but its owner), or clears
 * it with null when the deletion is cancelled.
 */
export async function setDeletionScheduled(
  db: Kysely<ProfilesDb>,
  userId: string,
  scheduledFor: Date | null,
): Promise<void> {
  await db
    .updateTable('profiles')
    .set({ deletion_scheduled_for: scheduledFor })
    .where('user_id', '=', userId)
    .execute();
}
