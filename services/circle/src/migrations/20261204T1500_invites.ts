import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/** Direct invites: one user asked into a circle by an OWNER or ADMIN. */
export const createInvites: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('invites')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('circle_id', 'uuid', (c) =>
        c.notNull().references('circles.id').onDelete('cascade'),
      )
      .addColumn('inviter_id', 'uuid', (c) => c.notNull())
      .addColumn('invitee_id', 'uuid', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull().defaultTo(''))
      // RequestStatus: 1 PENDING, 2 ACCEPTED, 3 DECLINED, 4 WITHDRAWN, 5 EXPIRED. A pending invite
      // past expires_at reads as EXPIRED.
      .addColumn('status', 'smallint', (c) => c.notNull())
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addColumn('expires_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addColumn('decided_at', sql`timestamptz(3)`)
      .execute();
    // One pending invite per user and circle: inviting again returns it.
    await db.schema
      .createIndex('invites_one_pending')
      .on('invites')
      .columns(['circle_id', 'invitee_id'])
      .unique()
      .where(sql.ref('status'), '=', 1)
      .execute();
    await db.schema
      .createIndex('invites_invitee_idx')
      .on('invites')
      .expression(sql`invitee_id, id desc`)
      .where(sql.ref('status'), '=', 1)
      .execute();
    await db.schema
      .createIndex('invites_circle_idx')
      .on('invites')
      .expression(sql`circle_id, id desc`)
      .execute();
  },
};
