import type { MigrationSet } from '@kith/db';
import { mailMigrations } from '@kith/mail';
import { createProfiles } from './20261123T1700_profiles.js';
import { createGraph } from './20261203T1600_graph.js';
import { createSharedUserTables } from './20261203T1605_settings_contacts_push_jobs.js';
import { createNotifications } from './20261203T1630_notifications.js';
import { createLifecycle } from './20261203T1650_lifecycle.js';
import { createGraphV1 } from './20261203T1620_graph_v1.js';
import { profilesV1 } from './20261203T1610_profiles_v1.js';
import { createPush } from './20261203T1640_push.js';
import { createStats } from './20261203T1800_stats.js';

/** The user service's own migrations, in order (platform tables come first). */
export const userMigrations: MigrationSet = {
  // The queue of notification e-mails (the relay in notifications/mail.ts drains it).
  ...mailMigrations,
  '20261123T1700_profiles': createProfiles,
  '20261203T1600_graph': createGraph,
  '20261203T1605_settings_contacts_push_jobs': createSharedUserTables,
  '20261203T1610_profiles_v1': profilesV1,
  '20261203T1620_graph_v1': createGraphV1,
  '20261203T1630_notifications': createNotifications,
  '20261203T1640_push': createPush,
  '20261203T1650_lifecycle': createLifecycle,
  '20261203T1800_stats': createStats,
};
