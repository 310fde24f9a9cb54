import type { MigrationSet } from '@kith/db';
import { createProfiles } from './20261123T1700_profiles.js';

/** The user service's own migrations, in order (platform tables come first). */
export const userMigrations: MigrationSet = {
  '20261123T1700_profiles': createProfiles,
};
