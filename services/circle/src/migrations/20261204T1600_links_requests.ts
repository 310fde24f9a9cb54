import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/** Invite links (a shareable code) and join requests (asking to be let in). */
export const createLinksAndRequests: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('invite_links')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('circle_id', 'uuid', (c) =>
        c.notNull().references('circles.id').onDelete('cascade'),
      )
      // The secret: owners and admins see it, anyone holding it may join (or ask to).
      .addColumn('code', 'text', (c) => c.notNull().unique())
      .addColumn('created_by', 'uuid', (c) => c.notNull())
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addColumn('expires_at', sql`timestamptz(3)`)
      // 0 = unlimited.
      .addColumn('max_uses', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('use_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('require_approval', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('disabled', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('revoked_at', sql`timestamptz(3)`)
      .execute();
    await db.schema
      .createIndex('invite_links_circle_idx')
      .on('invite_links')
      .expression(sql`circle_id, id desc`)
      .execute();
    await db.schema
      .createTable('join_requests')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('circle_id', 'uuid', (c) =>
        c.notNull().references('circles.id').onDelete('cascade'),
      )
      .addColumn('requester_id', 'uuid', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('invite_link_id', 'uuid')
      // RequestStatus: 1 PENDING, 2 ACCEPTED, 3 DECLINED, 4 WITHDRAWN, 5 EXPIRED.
      .addColumn('status', 'smallint', (c) => c.notNull())
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addColumn('decided_at', sql`timestamptz(3)`)
      .execute();
    // One pending request per user and circle: asking again returns it.
    await db.schema
      .createIndex('join_requests_one_pending')
      .on('join_requests')
      .columns(['circle_id', 'requester_id'])
      .unique()
      .where(sql.ref('status'), '=', 1)
      .execute();
    await db.schema
      .createIndex('join_requests_circle_pending_idx')
      .on('join_requests')
      .columns(['circle_id', 'id'])
      .where(sql.ref('status'), '=', 1)
      .execute();
    await db.schema
      .createIndex('join_requests_requester_idx')
      .on('join_requests')
      .expression(sql`requester_id, id desc`)
      .execute();
  },
};
