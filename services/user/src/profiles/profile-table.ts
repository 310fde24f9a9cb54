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
}
