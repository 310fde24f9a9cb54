import type { MigrationSet } from '@kith/db';
import { createModeration } from './20261208T1000_moderation.js';
import { createRules } from './20261208T1100_rules.js';
import { createOpenIncidents } from './20261208T1200_open_incidents.js';
import { createRuleJobs } from './20261208T1300_rule_jobs.js';
import { addQueueRank } from './20261208T1400_queue_rank.js';
import { addEventRedaction } from './20261210T1000_event_redaction.js';
import { createEvidenceMedia } from './20261211T1000_evidence_media.js';

/** The moderation service's own migrations, in order (platform tables come first). */
export const moderationMigrations: MigrationSet = {
  '20261208T1000_moderation': createModeration,
  '20261208T1100_rules': createRules,
  '20261208T1200_open_incidents': createOpenIncidents,
  '20261208T1300_rule_jobs': createRuleJobs,
  '20261208T1400_queue_rank': addQueueRank,
  '20261210T1000_event_redaction': addEventRedaction,
  '20261211T1000_evidence_media': createEvidenceMedia,
};
