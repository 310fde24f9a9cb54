import { sql } from 'kysely';
import type { Kysely, Selectable } from 'kysely';
import type { ProfilesDb } from './profile-store.js';
import type { SettingsTable } from './settings-table.js';

export type SettingsRow = Selectable<SettingsTable>;

/** The sign-up defaults (kith.user.v1.Settings), with the locale given at sign-up. */
export async function insertSettings(
  db: Kysely<ProfilesDb>,
  settings: { userId: string; locale: string },
): Promise<SettingsRow> {
  return db
    .insertInto('settings')
    .values({ user_id: settings.userId, locale: settings.locale })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Removes the settings for good; nothing happens when they are already gone. */
export async function deleteSettings(db: Kysely<ProfilesDb>, userId: string): Promise<void> {
  await db.deleteFrom('settings').where('user_id', '=', userId).execute();
}

/** The user's settings, locked for an update when `forUpdate`. */
export async function findSettings(
  db: Kysely<ProfilesDb>,
  userId: string,
  options: { forUpdate?: boolean } = {},
): Promise<SettingsRow | undefined> {
  let query = db.selectFrom('settings').selectAll().where('user_id', '=', userId);
  if (options.forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** The writable settings; those given are written. */
export interface SettingsChanges {
  locale?: string;
  timeZone?: string;
  discoverable?: boolean;
  defaultAudience?: number;
  showSensitiveMedia?: boolean;
  mentionPolicy?: number;
  contentLanguages?: string[];
  indexable?: boolean;
}

/** Writes the given settings and bumps their version; returns the row as it now is. */
export async function updateSettings(
  db: Kysely<ProfilesDb>,
  userId: string,
  changes: SettingsChanges,
  now: Date,
): Promise<SettingsRow> {
  return db
    .updateTable('settings')
    .set({
      ...(changes.locale !== undefined && { locale: changes.locale }),
      ...(changes.timeZone !== undefined && { time_zone: changes.timeZone }),
      ...(changes.discoverable !== undefined && { discoverable: changes.discoverable }),
      ...(changes.defaultAudience !== undefined && { default_audience: changes.defaultAudience }),
      ...(changes.showSensitiveMedia !== undefined && {
        show_sensitive_media: changes.showSensitiveMedia,
      }),
      ...(changes.mentionPolicy !== undefined && { mention_policy: changes.mentionPolicy }),
      ...(changes.contentLanguages !== undefined && {
        content_languages: changes.contentLanguages,
      }),
      ...(changes.indexable !== undefined && { indexable: changes.indexable }),
      version: sql<string>`version + 1`,
      updated_at: now,
    })
    .where('user_id', '=', userId)
    .returningAll()
    .executeTakeFirstOrThrow();
}
