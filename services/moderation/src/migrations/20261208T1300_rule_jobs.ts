import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Content waiting for the rules: written by the content-event consumers in their transaction,
 * taken by the rule runner outside any (it may call the classifier and the owning service).
 */
export const createRuleJobs: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('rule_jobs')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('subject_kind', 'smallint', (c) => c.notNull())
      .addColumn('subject_id', 'uuid', (c) => c.notNull())
      .addColumn('author_id', 'uuid', (c) => c.notNull())
      .addColumn('scope', 'smallint', (c) => c.notNull())
      .addColumn('fields', 'jsonb', (c) => c.notNull())
      .addColumn('forced_rule_id', 'uuid')
      .addColumn('forced_detail', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('not_before', sql`timestamptz(3)`, (c) => c.notNull())
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('rule_jobs_due')
      .on('rule_jobs')
      .columns(['not_before', 'id'])
      .execute();
  },
};
