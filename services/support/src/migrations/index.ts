import type { MigrationSet } from '@kith/db';
import { mailMigrations } from '@kith/mail';
import { createIncidents } from './20261207T1000_incidents.js';
import { createContacts } from './20261207T1100_contacts.js';
import { createCheckIns } from './20261207T1200_check_ins.js';
import { createExports } from './20261207T1300_exports.js';
import { addModeration } from './20261208T1000_moderation.js';

/** The support service's own migrations, in order (platform tables come first). */
export const supportMigrations: MigrationSet = {
  // The queue of e-mails to emergency contacts (the relay in contacts/contacts-parts.ts drains it).
  ...mailMigrations,
  '20261207T1000_incidents': createIncidents,
  '20261207T1100_contacts': createContacts,
  '20261207T1200_check_ins': createCheckIns,
  '20261207T1300_exports': createExports,
  '20261208T1000_moderation': addModeration,
};
