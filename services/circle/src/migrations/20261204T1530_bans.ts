import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/** Bans: a user kept out of a circle by every path, for a while or for good. */
export const createBans: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('bans')
      .addColumn('circle_id', 'uuid', (c) =>
        c.notNull().references('circles.id').onDelete('cascade'),
      )
      .addColumn('user_id', 'uuid', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('banned_by', 'uuid', (c) => c.notNull())
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
      // Null = permanent; the expiry daemon lifts the others.
      .addColumn('expires_at', sql`timestamptz(3)`)
      .addPrimaryKeyConstraint('bans_pkey', ['circle_id', 'user_id'])
      .execute();
    await db.schema
      .createIndex('bans_circle_idx')
      .on('bans')
      .expression(sql`circle_id, created_at desc, user_id desc`)
      .execute();
    await db.schema
      .createIndex('bans_expiry_idx')
      .on('bans')
      .column('expires_at')
      .where(sql.ref('expires_at'), 'is not', null)
      .execute();
  },
};
