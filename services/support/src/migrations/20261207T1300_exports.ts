import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Incident exports waiting for their single download (ExportIncident), and the index the staff
 * figures (GetStats) read incidents by.
 */
export const createExports: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('incident_exports')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('incident_id', 'uuid', (c) => c.notNull())
      .addColumn('owner_id', 'uuid', (c) => c.notNull())
      .addColumn('object_key', 'text', (c) => c.notNull())
      .addColumn('content_type', 'text', (c) => c.notNull())
      .addColumn('file_name', 'text', (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('size_bytes', 'integer', (c) => c.notNull())
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addColumn('expires_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addColumn('used_at', sql`timestamptz(3)`)
      .execute();
    // The sweeper's scan for files past their link or already taken.
    await db.schema
      .createIndex('incident_exports_expiry')
      .on('incident_exports')
      .column('expires_at')
      .execute();
    // The per-owner cap on exports waiting for a download.
    await db.schema
      .createIndex('incident_exports_owner')
      .on('incident_exports')
      .column('owner_id')
      .execute();
    // GetStats (staff figures) reads the incidents created in a window.
    await db.schema
      .createIndex('incidents_created_idx')
      .on('incidents')
      .columns(['created_at', 'kind'])
      .execute();
  },
};
