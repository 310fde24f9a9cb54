import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Emergency contacts outside Kith: the contacts on each user's ladder, the one-time notices
 * they were sent (each the target of an opt-out link), the opt-outs (keyed hashes of a number
 * or address, kept after the contact is removed) and the queue of SMS to send.
 */
export const createContacts: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('emergency_contacts')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('user_id', 'uuid', (c) => c.notNull())
      .addColumn('position', 'smallint', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('phone', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('email', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('phone_hash', 'bytea')
      .addColumn('email_hash', 'bytea')
      .addColumn('state', 'smallint', (c) => c.notNull())
      .addColumn('notice_id', 'uuid')
      .addColumn('notice_mail_id', 'uuid')
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addColumn('updated_at', sql`timestamptz(3)`, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('emergency_contacts_user_idx')
      .on('emergency_contacts')
      .columns(['user_id', 'position'])
      .execute();
    // The relay's check of notice e-mails still in the mail queue.
    await db.schema
      .createIndex('emergency_contacts_notice_mail')
      .on('emergency_contacts')
      .column('notice_mail_id')
      .where(sql.ref('notice_mail_id'), 'is not', null)
      .execute();
    await db.schema
      .createTable('contact_notices')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('user_id', 'uuid', (c) => c.notNull())
      .addColumn('phone_hash', 'bytea')
      .addColumn('email_hash', 'bytea')
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('contact_notices_user_idx')
      .on('contact_notices')
      .columns(['user_id', 'created_at'])
      .execute();
    await db.schema
      .createTable('contact_opt_outs')
      .addColumn('user_id', 'uuid', (c) => c.notNull())
      .addColumn('address_hash', 'bytea', (c) => c.notNull())
      .addColumn('opted_out_at', sql`timestamptz(3)`, (c) => c.notNull())
      .addPrimaryKeyConstraint('contact_opt_outs_pkey', ['user_id', 'address_hash'])
      .execute();
    await db.schema
      .createTable('sms_outbox')
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('user_id', 'uuid', (c) => c.notNull())
      .addColumn('contact_id', 'uuid')
      .addColumn('notice_id', 'uuid')
      .addColumn('to', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', sql`timestamptz(3)`)
      .addColumn('sent_at', sql`timestamptz(3)`)
      .addColumn('provider_id', 'text')
      .addColumn('last_error', 'text')
      .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
      .execute();
    // Only rows still to send are scanned; sent and abandoned ones drop out of the index.
    await db.schema
      .createIndex('sms_outbox_due')
      .on('sms_outbox')
      .columns(['next_attempt_at', 'id'])
      .where(sql.ref('next_attempt_at'), 'is not', null)
      .execute();
  },
};
