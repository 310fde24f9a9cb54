import type { Kysely } from 'kysely';
import type { SupportDatabase } from '../db/schema.js';
import type { IncidentRow } from '../incidents/incident-store.js';

type Db = Kysely<SupportDatabase>;

/** The incidents `userId` owns, oldest first. */
export function exportOwnedIncidents(db: Db, userId: string): Promise<IncidentRow[]> {
  return db
    .selectFrom('incidents')
    .selectAll()
    .where('owner_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** The incidents of others `userId` was alerted to, with their own responder state. */
export function exportAlerts(db: Db, userId: string) {
  return db
    .selectFrom('responders as r')
    .innerJoin('incidents as i', 'i.id', 'r.incident_id')
    .select([
      'i.id as incident_id',
      'i.kind',
      'i.circle_ids',
      'i.created_at',
      'i.claimed_by',
      'i.resolved_by',
      'r.state',
      'r.escalation_step',
      'r.notified_at',
      'r.delivered_at',
      'r.acknowledged_at',
      'r.response_kind',
      'r.response_eta_ms',
      'r.response_note',
      'r.responded_at',
    ])
    .where('r.user_id', '=', userId)
    .where('i.owner_id', '!=', userId)
    .orderBy('i.created_at')
    .orderBy('i.id')
    .execute();
}

/** The timeline entries (binary) of the incidents `ids`, oldest first. */
export function exportEntriesOf(db: Db, ids: string[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('timeline')
    .select(['incident_id', 'sequence', 'entry'])
    .where('incident_id', 'in', ids)
    .orderBy('incident_id')
    .orderBy('sequence')
    .execute();
}

/** `userId`'s check-ins (never the word's hash). */
export function exportCheckIns(db: Db, userId: string) {
  return db
    .selectFrom('check_ins')
    .select([
      'id',
      'status',
      'due_at',
      'circle_ids',
      'destination',
      'word_hash',
      'extension_count',
      'requested_by',
      'incident_id',
      'reminded_at',
      'grace_until',
      'completed_at',
      'created_at',
      'updated_at',
    ])
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** The check-ins `userId` asked others for (whose they were is not said). */
export function exportRequestedCheckIns(db: Db, userId: string) {
  return db
    .selectFrom('check_ins')
    .select(['id', 'status', 'created_at'])
    .where('requested_by', '=', userId)
    .where('user_id', '!=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** Whether `userId` set each PIN, and when (never the hashes). */
export function exportPins(db: Db, userId: string) {
  return db
    .selectFrom('safety_pins')
    .select(['cancel_hash', 'duress_hash', 'updated_at'])
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

/** `userId`'s emergency contacts in ladder order. */
export function exportContacts(db: Db, userId: string) {
  return db
    .selectFrom('emergency_contacts')
    .select(['id', 'position', 'name', 'phone', 'email', 'state', 'created_at', 'updated_at'])
    .where('user_id', '=', userId)
    .orderBy('position')
    .execute();
}
