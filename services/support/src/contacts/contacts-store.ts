import { withTables } from '@kith/db';
import type { Database } from '@kith/db';
import type { MailTables } from '@kith/mail';
import { EmergencyContactState } from '@kith/gen/kith/support/v1/types_pb.js';
import { sql } from 'kysely';
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { EmergencyContactsTable, SmsOutboxTable, SupportDatabase } from '../db/schema.js';

export type ContactRow = Selectable<EmergencyContactsTable>;

/** The user's contacts in ladder order; `lock` holds them for the rest of the transaction. */
export async function listContacts(
  db: Kysely<SupportDatabase>,
  userId: string,
  options: { lock?: boolean } = {},
): Promise<ContactRow[]> {
  let query = db
    .selectFrom('emergency_contacts')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('position');
  if (options.lock) query = query.forUpdate();
  return query.execute();
}

export async function deleteContacts(db: Kysely<SupportDatabase>, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.deleteFrom('emergency_contacts').where('id', 'in', ids).execute();
}

export async function insertContact(
  db: Kysely<SupportDatabase>,
  row: Insertable<EmergencyContactsTable>,
): Promise<void> {
  await db.insertInto('emergency_contacts').values(row).execute();
}

/** A kept contact's new name and place on the ladder (its numbers and state are unchanged). */
export async function updateContactPlace(
  db: Kysely<SupportDatabase>,
  id: string,
  values: { name: string; position: number; updated_at: Date },
): Promise<void> {
  await db.updateTable('emergency_contacts').set(values).where('id', '=', id).execute();
}

/** Which of `hashes` opted out of `userId`'s alerts, as hex. */
export async function optedOutHashes(
  db: Kysely<SupportDatabase>,
  userId: string,
  hashes: Buffer[],
): Promise<Set<string>> {
  if (hashes.length === 0) return new Set();
  const rows = await db
    .selectFrom('contact_opt_outs')
    .select('address_hash')
    .where('user_id', '=', userId)
    .where('address_hash', 'in', hashes)
    .execute();
  return new Set(rows.map((r) => Buffer.from(r.address_hash).toString('hex')));
}

/** Notices the user's ladder sent since `since`: how many, and when the oldest went out. */
export async function noticesSince(
  db: Kysely<SupportDatabase>,
  userId: string,
  since: Date,
): Promise<{ count: number; oldest: Date | null }> {
  const row = await db
    .selectFrom('contact_notices')
    .select((eb) => [eb.fn.countAll<string>().as('count'), eb.fn.min('created_at').as('oldest')])
    .where('user_id', '=', userId)
    .where('created_at', '>', since)
    .executeTakeFirstOrThrow();
  return { count: Number(row.count), oldest: row.oldest ? new Date(row.oldest) : null };
}

export async function insertNotice(
  db: Kysely<SupportDatabase>,
  row: {
    id: string;
    user_id: string;
    phone_hash: Buffer | null;
    email_hash: Buffer | null;
    created_at: Date;
  },
): Promise<void> {
  await db.insertInto('contact_notices').values(row).execute();
}

export async function findNotice(
  db: Kysely<SupportDatabase>,
  id: string,
): Promise<{ user_id: string; phone_hash: Buffer | null; email_hash: Buffer | null } | undefined> {
  return db
    .selectFrom('contact_notices')
    .select(['user_id', 'phone_hash', 'email_hash'])
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Records the opt-outs (idempotent) and returns the user's contacts they silence now. */
export async function recordOptOuts(
  db: Kysely<SupportDatabase>,
  userId: string,
  hashes: Buffer[],
  at: Date,
): Promise<string[]> {
  if (hashes.length === 0) return [];
  await db
    .insertInto('contact_opt_outs')
    .values(hashes.map((address_hash) => ({ user_id: userId, address_hash, opted_out_at: at })))
    .onConflict((oc) => oc.columns(['user_id', 'address_hash']).doNothing())
    .execute();
  const silenced = await db
    .updateTable('emergency_contacts')
    .set({ state: EmergencyContactState.OPTED_OUT, notice_mail_id: null, updated_at: at })
    .where('user_id', '=', userId)
    .where((eb) => eb.or([eb('phone_hash', 'in', hashes), eb('email_hash', 'in', hashes)]))
    .returning('id')
    .execute();
  return silenced.map((r) => r.id);
}

/** Drops SMS not yet sent to contacts that opted out (e-mails already queued still go). */
export async function cancelPendingSms(
  db: Kysely<SupportDatabase>,
  contactIds: string[],
): Promise<void> {
  if (contactIds.length === 0) return;
  await db
    .updateTable('sms_outbox')
    .set({ next_attempt_at: null, body: '', last_error: 'opted out' })
    .where('contact_id', 'in', contactIds)
    .where('sent_at', 'is', null)
    .where('next_attempt_at', 'is not', null)
    .execute();
}

/** Contacts of `userId` that may be alerted: not opted out, whether by state or by hash. */
export async function alertableContacts(
  db: Kysely<SupportDatabase>,
  userId: string,
): Promise<ContactRow[]> {
  return db
    .selectFrom('emergency_contacts as c')
    .selectAll('c')
    .where('c.user_id', '=', userId)
    .where('c.state', '!=', EmergencyContactState.OPTED_OUT)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('contact_opt_outs as o')
            .select(sql`1`.as('one'))
            .whereRef('o.user_id', '=', 'c.user_id')
            .where((o) =>
              o.or([
                o('o.address_hash', '=', o.ref('c.phone_hash')),
                o('o.address_hash', '=', o.ref('c.email_hash')),
              ]),
            ),
        ),
      ),
    )
    .orderBy('c.position')
    .execute();
}

/** The name a contact knows the user by: display name, else @username; undefined when unknown. */
export async function ownerName(
  db: Kysely<SupportDatabase>,
  userId: string,
): Promise<{ displayName: string; username: string } | undefined> {
  const row = await db
    .selectFrom('users')
    .select(['display_name', 'username'])
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row ? { displayName: row.display_name, username: row.username } : undefined;
}

/** Queues one SMS, due at `row.created_at`. */
export async function queueSms(
  db: Kysely<SupportDatabase>,
  row: Omit<Insertable<SmsOutboxTable>, 'next_attempt_at' | 'attempts'>,
): Promise<void> {
  await db
    .insertInto('sms_outbox')
    .values({ ...row, next_attempt_at: row.created_at })
    .execute();
}

export interface ClaimedSms {
  id: string;
  to: string;
  body: string;
  attempts: number;
  notice_id: string | null;
}

/**
 * Claims due rows (FOR UPDATE SKIP LOCKED, so relays take disjoint rows) by moving them onto a
 * lease, and commits before anything is sent.
 */
export async function claimDueSms(
  database: Database<SupportDatabase>,
  now: Date,
  lease: Date,
  limit: number,
): Promise<ClaimedSms[]> {
  return database.transaction(async (trx) => {
    const due = await trx
      .selectFrom('sms_outbox')
      .select(['id', 'to', 'body', 'attempts', 'notice_id'])
      .where('sent_at', 'is', null)
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .orderBy('id')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute();
    if (due.length > 0) {
      await trx
        .updateTable('sms_outbox')
        .set({ next_attempt_at: lease })
        .where(
          'id',
          'in',
          due.map((r) => r.id),
        )
        .execute();
    }
    return due;
  });
}

/** The send went out: recorded whatever the lease, and the body forgotten. */
export async function recordSmsSent(
  db: Kysely<SupportDatabase>,
  id: string,
  values: { providerId: string; at: Date },
): Promise<boolean> {
  const result = await db
    .updateTable('sms_outbox')
    .set({
      sent_at: values.at,
      provider_id: values.providerId,
      attempts: sql<number>`attempts + 1`,
      next_attempt_at: null,
      last_error: null,
      body: '',
    })
    .where('id', '=', id)
    .where('sent_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * A failed send, written only while this pass's lease is still on the row (a relay resuming
 * late must not disturb a newer attempt). `retryAt` null: abandoned, body forgotten.
 */
export async function recordSmsFailure(
  db: Kysely<SupportDatabase>,
  id: string,
  lease: Date,
  values: { error: string; retryAt: Date | null },
): Promise<boolean> {
  const result = await db
    .updateTable('sms_outbox')
    .set({
      attempts: sql<number>`attempts + 1`,
      last_error: values.error,
      next_attempt_at: values.retryAt,
      ...(values.retryAt === null ? { body: '' } : {}),
    })
    .where('id', '=', id)
    .where('sent_at', 'is', null)
    .where('next_attempt_at', '=', lease)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** The notice could not be delivered: its contact, if still ACTIVE, becomes UNREACHABLE. */
export async function markNoticeUnreachable(
  db: Kysely<SupportDatabase>,
  noticeId: string,
  at: Date,
): Promise<void> {
  await db
    .updateTable('emergency_contacts')
    .set({ state: EmergencyContactState.UNREACHABLE, notice_mail_id: null, updated_at: at })
    .where('notice_id', '=', noticeId)
    .where('state', '=', EmergencyContactState.ACTIVE)
    .execute();
}

/**
 * Notice e-mails the mail relay finished with: `sent`, or `abandoned` (it gave up, the row
 * stays with its last error); the rest are still being tried.
 */
export async function finishedNoticeMails(
  db: Kysely<SupportDatabase>,
  limit: number,
): Promise<{ contactId: string; noticeId: string | null; abandoned: boolean }[]> {
  const rows = await withTables<SupportDatabase & MailTables>(db)
    .selectFrom('emergency_contacts as c')
    .innerJoin('mail_outbox as m', 'm.id', 'c.notice_mail_id')
    .select(['c.id', 'c.notice_id', 'm.sent_at'])
    .where('c.notice_mail_id', 'is not', null)
    .where('m.next_attempt_at', 'is', null)
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    contactId: r.id,
    noticeId: r.notice_id,
    abandoned: r.sent_at === null,
  }));
}

/** Stops watching a contact's notice e-mail; `unreachable` marks an ACTIVE contact so. */
export async function settleNoticeMail(
  db: Kysely<SupportDatabase>,
  contactId: string,
  unreachable: boolean,
  at: Date,
): Promise<void> {
  await db
    .updateTable('emergency_contacts')
    .set({ notice_mail_id: null })
    .where('id', '=', contactId)
    .execute();
  if (!unreachable) return;
  await db
    .updateTable('emergency_contacts')
    .set({ state: EmergencyContactState.UNREACHABLE, updated_at: at })
    .where('id', '=', contactId)
    .where('state', '=', EmergencyContactState.ACTIVE)
    .execute();
}
