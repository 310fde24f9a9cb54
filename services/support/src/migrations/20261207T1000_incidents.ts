import type { Migration } from '@kith/db';
import { createProfilesTable } from '@kith/runtime';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Incidents with their responders and timeline, the SOS PINs, the users' escalation ladders,
 * and support's projections of circles, memberships (with the safety roles) and profiles.
 */
export const createIncidents: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('incidents')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('kind', 'smallint', (c) => c.notNull())
      .addColumn('owner_id', 'uuid', (c) => c.notNull())
      .addColumn('help_type', 'smallint', (c) => c.notNull().defaultTo(0))
      .addColumn('severity', 'smallint', (c) => c.notNull().defaultTo(0))
      .addColumn('message', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('emergency_kind', 'smallint', (c) => c.notNull().defaultTo(0))
      .addColumn('circle_ids', sql`uuid[]`, (c) => c.notNull())
      .addColumn('status', 'smallint', (c) => c.notNull())
      .addColumn('owner_status', 'smallint', (c) => c.notNull())
      .addColumn('reach', 'smallint', (c) => c.notNull())
      .addColumn('owner_view', 'bytea')
      .addColumn('owner_responders', 'bytea')
      .addColumn('owner_sequence', 'bigint')
      .addColumn('duress_cancelled_at', sql`timestamptz(3)`)
      .addColumn('claimed_by', 'uuid')
      .addColumn('check_in_id', 'uuid')
      .addColumn('device', 'jsonb')
      .addColumn('ladder', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
      .addColumn('current_step', 'integer', (c) => c.notNull().defaultTo(-1))
      .addColumn('next_step_at', sql`timestamptz(3)`)
      .addColumn('ladder_stopped', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('escalated', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('first_ack_at', sql`timestamptz(3)`)
      .addColumn('pin_failures', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('location', 'jsonb')
      .addColumn('location_started_at', sql`timestamptz(3)`)
      .addColumn('location_expires_at', sql`timestamptz(3)`)
      .addColumn('location_stopped_at', sql`timestamptz(3)`)
      .addColumn('resolution_kind', 'smallint', (c) => c.notNull().defaultTo(0))
      .addColumn('resolution_reason', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('resolved_by', 'uuid')
      .addColumn('ended_at', sql`timestamptz(3)`)
      .addColumn('owner_closed_at', sql`timestamptz(3)`)
      .addColumn('sequence', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('version', 'bigint', (c) => c.notNull().defaultTo(1))
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addColumn('updated_at', sql`timestamptz(3)`, (c) => c.notNull())
      .execute();
    // RaiseSos is idempotent while an SOS is open for its owner, whatever runs concurrently.
    await db.schema
      .createIndex('incidents_open_sos')
      .on('incidents')
      .column('owner_id')
      .unique()
      .where(sql.ref('kind'), '=', 2)
      .where(sql.ref('owner_status'), '=', 1)
      .execute();
    await db.schema
      .createIndex('incidents_owner_idx')
      .on('incidents')
      .columns(['owner_id', 'created_at', 'id'])
      .execute();
    // The ladder runner's due steps, and the location expiry.
    await db.schema
      .createIndex('incidents_due_step')
      .on('incidents')
      .column('next_step_at')
      .where(sql.ref('next_step_at'), 'is not', null)
      .execute();
    await db.schema
      .createIndex('incidents_location_expiry')
      .on('incidents')
      .column('location_expires_at')
      .where(sql.ref('location_stopped_at'), 'is', null)
      .execute();
    await db.schema
      .createTable('responders')
      .addColumn('incident_id', 'uuid', (c) =>
        c.notNull().references('incidents.id').onDelete('cascade'),
      )
      .addColumn('user_id', 'uuid', (c) => c.notNull())
      .addColumn('state', 'smallint', (c) => c.notNull())
      .addColumn('rank', 'smallint', (c) => c.notNull())
      .addColumn('escalation_step', 'integer', (c) => c.notNull())
      .addColumn('notified_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addColumn('delivered_at', sql`timestamptz(3)`)
      .addColumn('acknowledged_at', sql`timestamptz(3)`)
      .addColumn('response_kind', 'smallint', (c) => c.notNull().defaultTo(0))
      .addColumn('response_eta_ms', 'bigint')
      .addColumn('response_note', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('responded_at', sql`timestamptz(3)`)
      .addPrimaryKeyConstraint('responders_pkey', ['incident_id', 'user_id'])
      .execute();
    await db.schema
      .createIndex('responders_user_idx')
      .on('responders')
      .columns(['user_id', 'incident_id'])
      .execute();
    await db.schema
      .createTable('timeline')
      .addColumn('incident_id', 'uuid', (c) =>
        c.notNull().references('incidents.id').onDelete('cascade'),
      )
      .addColumn('sequence', 'bigint', (c) => c.notNull())
      .addColumn('occurred_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addColumn('entry', 'bytea', (c) => c.notNull())
      .addColumn('has_location', 'boolean', (c) => c.notNull().defaultTo(false))
      .addPrimaryKeyConstraint('timeline_pkey', ['incident_id', 'sequence'])
      .execute();
    await db.schema
      .createTable('safety_pins')
      .addColumn('user_id', 'uuid', (c) => c.primaryKey())
      .addColumn('cancel_hash', 'text')
      .addColumn('duress_hash', 'text')
      .addColumn('updated_at', sql`timestamptz(3)`, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('ladders')
      .addColumn('user_id', 'uuid', (c) => c.primaryKey())
      .addColumn('steps', 'jsonb', (c) => c.notNull())
      .addColumn('version', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', sql`timestamptz(3)`, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('circles')
      .addColumn('circle_id', 'uuid', (c) => c.primaryKey())
      .addColumn('deleted', 'boolean', (c) => c.notNull())
      .addColumn('version', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('circle_members')
      .addColumn('circle_id', 'uuid', (c) => c.notNull())
      .addColumn('user_id', 'uuid', (c) => c.notNull())
      .addColumn('role', 'smallint', (c) => c.notNull())
      .addColumn('responder', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('primary_contact', 'boolean', (c) => c.notNull().defaultTo(false))
      // A membership's events share one version; role and safety roles are applied each by
      // the version of the last event that set them (a safety change does not carry the role).
      .addColumn('role_version', 'bigint', (c) => c.notNull())
      .addColumn('safety_version', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('circle_members_pkey', ['circle_id', 'user_id'])
      .execute();
    await db.schema
      .createIndex('circle_members_user_idx')
      .on('circle_members')
      .columns(['user_id', 'circle_id'])
      .execute();
    await createProfilesTable(db);
  },
};
