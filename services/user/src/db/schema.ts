import type { MailTables } from '@kith/mail';
import type { GraphDb } from '../graph/relationship-store.js';
import type { NotificationsDb } from '../notifications/notification-store.js';
import type { LifecycleDb } from '../lifecycle/lifecycle-store.js';
import type { ProfilesDb } from '../profiles/profile-store.js';
import type { PushJobsDb } from '../push/push-job-store.js';
import type { PushDb } from '../push/push-store.js';
import type { StatsDb } from '../stats/stats-store.js';

/**
 * Every table of the user schema. Each area declares the tables its store reads and writes
 * (`ProfilesDb`, `GraphDb`, …); the service's database is their union.
 */
export type UserDatabase = ProfilesDb &
  GraphDb &
  PushJobsDb &
  NotificationsDb &
  LifecycleDb &
  MailTables &
  PushDb &
  StatsDb;
