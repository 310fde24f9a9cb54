import type { Generated } from 'kysely';

/** The user's private settings (kith.user.v1.Settings); enums stored as their numbers. */
export interface SettingsTable {
  user_id: string;
  locale: Generated<string>;
  time_zone: Generated<string>;
  discoverable: Generated<boolean>;
  default_audience: Generated<number>;
  show_sensitive_media: Generated<boolean>;
  mention_policy: Generated<number>;
  content_languages: Generated<string[]>;
  indexable: Generated<boolean>;
  version: Generated<string>;
  updated_at: Generated<Date>;
}

/** The account's e-mail address, from auth's events (for e-mail notifications only). */
export interface ContactTable {
  user_id: string;
  email: string;
  updated_at: Generated<Date>;
}
