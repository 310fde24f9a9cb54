import type { ColumnType, Generated } from 'kysely';

/** A link as stored in `profiles.links` (jsonb). */
export interface StoredLink {
  label: string;
  url: string;
}

export interface ProfileTable {
  user_id: string;
  username: string;
  display_name: Generated<string>;
  bio: Generated<string>;
  locale: Generated<string>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  /** Erased: hidden from everyone. */
  deleted_at: Date | null;
  /** Set while an account deletion is pending: the profile is hidden from everyone but its owner. */
  deletion_scheduled_for: Generated<Date | null>;
  /** When the pending deletion was requested (with deletion_scheduled_for). */
  deletion_requested_at: Generated<Date | null>;
  /** Held with PostInternalService.AttachMedia (PROFILE_AVATAR); null = no avatar. */
  avatar_media_id: Generated<string | null>;
  avatar_url: Generated<string>;
  links: ColumnType<StoredLink[], string | undefined, string>;
  locked: Generated<boolean>;
  hide_follow_lists: Generated<boolean>;
  /** The profile aggregate's version (user.profile_updated); 1 at creation. */
  version: Generated<string>;
  /** Disabled by staff (auth.account_disabled until auth.account_enabled). */
  disabled_at: Generated<Date | null>;
  /** Moderation's account enforcement, applied only when its version is newer. */
  moderation_version: Generated<string>;
  moderation_limited: Generated<boolean>;
  moderation_suspended: Generated<boolean>;
  moderation_suspended_until: Generated<Date | null>;
  moderation_banned: Generated<boolean>;
  /** Search: the trigrams of the username and of the display name (see search-trigrams.ts). */
  username_trigrams: Generated<string[]>;
  name_trigrams: Generated<string[]>;
}
