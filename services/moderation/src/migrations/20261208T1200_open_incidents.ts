import type { Migration } from '@kith/db';
import type { Kysely } from 'kysely';

/** Support's open incidents (help requests, SOS, missed check-ins), for SOS-related subjects. */
export const createOpenIncidents: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('open_incidents')
      .addColumn('incident_id', 'uuid', (c) => c.primaryKey())
      .addColumn('owner_id', 'uuid', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('open_incidents_owner')
      .on('open_incidents')
      .column('owner_id')
      .execute();
  },
};
