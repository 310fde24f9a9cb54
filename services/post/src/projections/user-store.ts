import type { Kysely } from 'kysely';
import type { PostDatabase } from '../db/schema.js';

/** A user.profile_updated snapshot: the fields post shows and enforces. */
export interface ProfileSnapshot {
  userId: string;
  username: string;
  displayName: string;
  avatarUrl: string;
  locked: boolean;
  version: bigint;
}

/** A user.settings_updated snapshot: the settings post enforces. */
export interface SettingsSnapshot {
  userId: string;
  indexable: boolean;
  /** kith.user.v1.MentionPolicy. */
  mentionPolicy: number;
  version: bigint;
}

/**
 * Applies a profile when its version is newer than the profile held, inserting the user when
 * post does not know them yet; the settings on the row are left as they are.
 */
export async function applyProfile(db: Kysely<PostDatabase>, p: ProfileSnapshot): Promise<void> {
  await db
    .insertInto('users')
    .values({
      user_id: p.userId,
      username: p.username,
      display_name: p.displayName,
      avatar_url: p.avatarUrl,
      locked: p.locked,
      profile_version: p.version.toString(),
    })
    .onConflict((oc) =>
      oc
        .column('user_id')
        .doUpdateSet((eb) => ({
          username: eb.ref('excluded.username'),
          display_name: eb.ref('excluded.display_name'),
          avatar_url: eb.ref('excluded.avatar_url'),
          locked: eb.ref('excluded.locked'),
          profile_version: eb.ref('excluded.profile_version'),
        }))
        .where('users.profile_version', '<', (eb) => eb.ref('excluded.profile_version')),
    )
    .execute();
}

/**
 * Applies settings when their version is newer than the settings held. A user post does not
 * know yet gets a row with an empty profile at profile version 0, which their first
 * user.profile_updated then fills.
 */
export async function applySettings(db: Kysely<PostDatabase>, s: SettingsSnapshot): Promise<void> {
  await db
    .insertInto('users')
    .values({
      user_id: s.userId,
      username: '',
      display_name: '',
      avatar_url: '',
      locked: false,
      indexable: s.indexable,
      mention_policy: s.mentionPolicy,
      profile_version: '0',
      settings_version: s.version.toString(),
    })
    .onConflict((oc) =>
      oc
        .column('user_id')
        .doUpdateSet((eb) => ({
          indexable: eb.ref('excluded.indexable'),
          mention_policy: eb.ref('excluded.mention_policy'),
          settings_version: eb.ref('excluded.settings_version'),
        }))
        .where('users.settings_version', '<', (eb) => eb.ref('excluded.settings_version')),
    )
    .execute();
}

/** An account's moderation restrictions (moderation_events.proto), by enforcement version. */
export async function applyAccountEnforcement(
  db: Kysely<PostDatabase>,
  userId: string,
  e: {
    limited: boolean;
    suspended: boolean;
    suspendedUntil: Date | null;
    banned: boolean;
    version: bigint;
  },
): Promise<void> {
  const values = {
    limited: e.limited,
    suspended: e.suspended,
    suspended_until: e.suspendedUntil,
    banned: e.banned,
    enforcement_version: e.version.toString(),
  };
  await db
    .insertInto('users')
    .values({
      user_id: userId,
      username: '',
      display_name: '',
      avatar_url: '',
      locked: false,
      ...values,
    })
    .onConflict((oc) =>
      oc
        .column('user_id')
        .doUpdateSet(values)
        .where('users.enforcement_version', '<', e.version.toString()),
    )
    .execute();
}
