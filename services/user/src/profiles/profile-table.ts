import type { Generated } from 'kysely';

export interface ProfileTable {
  user_id: string;
  username: string;
  display_name: Generated<string>;
  bio: Generated<string>;
  locale: Generated<string>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  deleted_at: Date | null;
  /** Set while an account deletion is pending: the profile is hidden from everyone but its owner. */
  deletion_scheduled_for: Generated<Date | null>;
}
