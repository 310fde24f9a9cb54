import { withTables } from '@kith/db';
import type { MailTables } from '@kith/mail';
import { IncidentStatus } from '@kith/gen/kith/support/v1/types_pb.js';
import type { Kysely } from 'kysely';
import type { SupportDatabase } from '../db/schema.js';
import type { IncidentRow } from '../incidents/incident-store.js';

type Db = Kysely<SupportDatabase>;

/** The incidents `userId` owns, locked, in id order (the order their locks are taken in). */
export async function ownedIncidents(db: Db, userId: string): Promise<IncidentRow[]> {
  return db
    .selectFrom('incidents')
    .selectAll()
    .where('owner_id', '=', userId)
    .orderBy('id')
    .forUpdate()
    .execute();
}

/**
 * The incidents of other people `userId` was alerted to, locked, in id order, with what their
 * records hold of them: `frozen` when the owner's view was frozen (it copies their profile).
 */
export async function alertedIncidents(
  db: Db,
  userId: string,
): Promise<
  Pick<IncidentRow, 'id' | 'status' | 'claimed_by' | 'owner_view' | 'owner_responders'>[]
> {
  return db
    .selectFrom('incidents as i')
    .innerJoin('responders as r', 'r.incident_id', 'i.id')
    .select(['i.id', 'i.status', 'i.claimed_by', 'i.owner_view', 'i.owner_responders'])
    .where('r.user_id', '=', userId)
    .where('i.owner_id', '!=', userId)
    .orderBy('i.id')
    .forUpdate('i')
    .execute();
}

/** An incident's timeline entries (binary), oldest first. */
export async function allEntries(db: Db, incidentId: string) {
  return db
    .selectFrom('timeline')
    .select(['sequence', 'entry'])
    .where('incident_id', '=', incidentId)
    .orderBy('sequence')
    .execute();
}

/** Rewrites one entry in place (its location flag unchanged). */
export async function replaceEntry(
  db: Db,
  incidentId: string,
  sequence: string,
  entry: Uint8Array,
): Promise<void> {
  await db
    .updateTable('timeline')
    .set({ entry: Buffer.from(entry) })
    .where('incident_id', '=', incidentId)
    .where('sequence', '=', sequence)
    .execute();
}

/** Rewrites the owner's frozen Incident and responder list of an incident. */
export async function replaceFrozenView(
  db: Db,
  incidentId: string,
  view: { owner_view: Buffer | null; owner_responders: Buffer | null },
): Promise<void> {
  await db.updateTable('incidents').set(view).where('id', '=', incidentId).execute();
}

/**
 * The responder's own words go from the incidents they were alerted to (their response note);
 * a claim they hold on an incident still open for its responders is released, so another
 * responder can take it (and resolve it).
 */
export async function forgetResponder(db: Db, userId: string): Promise<void> {
  await db
    .updateTable('responders')
    .set({ response_note: '' })
    .where('user_id', '=', userId)
    .where('response_note', '!=', '')
    .execute();
  await db
    .updateTable('incidents')
    .set({ claimed_by: null })
    .where('claimed_by', '=', userId)
    .where('owner_id', '!=', userId)
    .where('status', '=', IncidentStatus.OPEN)
    .execute();
}

/** The user's incident exports waiting in the bucket (their files go first). */
export async function exportsOf(db: Db, userId: string): Promise<{ id: string }[]> {
  return db
    .selectFrom('incident_exports')
    .select('id')
    .where('owner_id', '=', userId)
    .orderBy('id')
    .execute();
}

/** The user's emergency contacts' addresses, and the notice e-mails still watched. */
export async function contactAddresses(
  db: Db,
  userId: string,
): Promise<{ emails: string[]; noticeMailIds: string[] }> {
  const rows = await db
    .selectFrom('emergency_contacts')
    .select(['email', 'notice_mail_id'])
    .where('user_id', '=', userId)
    .execute();
  return {
    emails: [...new Set(rows.map((r) => r.email).filter((e) => e !== ''))],
    noticeMailIds: rows.flatMap((r) => (r.notice_mail_id ? [r.notice_mail_id] : [])),
  };
}

/**
 * Deletes the mail queue's rows of the user's notices and alerts to their contacts: the notice
 * e-mails by id, and the rest by address and exact subject (the queue does not record whose
 * alert a message was; `subjects` are the subjects support writes for this user's name).
 */
export async function forgetContactMail(
  db: Db,
  input: { emails: string[]; noticeMailIds: string[]; subjects: string[] },
): Promise<void> {
  const mail = withTables<MailTables>(db);
  if (input.noticeMailIds.length > 0) {
    await mail.deleteFrom('mail_outbox').where('id', 'in', input.noticeMailIds).execute();
  }
  if (input.emails.length > 0 && input.subjects.length > 0) {
    await mail
      .deleteFrom('mail_outbox')
      .where('to', 'in', input.emails)
      .where('subject', 'in', input.subjects)
      .execute();
  }
}

/**
 * Every row left that belongs to `userId`, once their incidents are closed: their incidents
 * (responders, timeline and location go with them), incident exports, check-ins, PINs, ladder,
 * emergency contacts, the notices sent to them, their opt-outs, the SMS queued to them, and the
 * projections of the user's profile and memberships.
 */
export async function forgetUser(db: Db, userId: string): Promise<void> {
  await db.deleteFrom('incident_exports').where('owner_id', '=', userId).execute();
  await db.deleteFrom('incidents').where('owner_id', '=', userId).execute();
  await db.deleteFrom('check_ins').where('user_id', '=', userId).execute();
  await db.deleteFrom('safety_pins').where('user_id', '=', userId).execute();
  await db.deleteFrom('ladders').where('user_id', '=', userId).execute();
  await db.deleteFrom('emergency_contacts').where('user_id', '=', userId).execute();
  await db.deleteFrom('contact_notices').where('user_id', '=', userId).execute();
  await db.deleteFrom('contact_opt_outs').where('user_id', '=', userId).execute();
  await db.deleteFrom('sms_outbox').where('user_id', '=', userId).execute();
  await db.deleteFrom('circle_members').where('user_id', '=', userId).execute();
  await db.deleteFrom('users').where('user_id', '=', userId).execute();
}
