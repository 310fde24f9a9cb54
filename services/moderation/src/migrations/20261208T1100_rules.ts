import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Automated rules (the Rule message, binary, with its searchable parts as columns; deleted ones
 * kept, since the events and actions they caused keep naming them) and the rate rules' counted
 * events per account.
 */
const statements = [
  `create table rules (
    id uuid primary key,
    body bytea not null,
    enabled boolean not null,
    version integer not null,
    created_at timestamptz(3) not null,
    deleted_at timestamptz(3)
  )`,
  `create index rules_listed on rules (created_at desc, id desc) where deleted_at is null`,
  `create table rate_counts (
    rule_id uuid not null,
    user_id uuid not null,
    at timestamptz(3) not null,
    ref uuid not null,
    primary key (rule_id, user_id, at, ref)
  )`,
  `create index rate_counts_at on rate_counts (at)`,
];

export const createRules: Migration = {
  async up(db: Kysely<unknown>, { schema }: { schema: string }) {
    await sql`set local search_path to ${sql.id(schema)}`.execute(db);
    for (const statement of statements) await sql.raw(statement).execute(db);
  },
};
