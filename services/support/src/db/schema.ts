import type { ColumnType, Generated } from 'kysely';

/** bigint columns: pg hands them back as strings. */
type BigintColumn = ColumnType<string, string | bigint, string | bigint>;

/** One rung of a ladder as stored (the incident's copy, and the user's ladder). */
export interface StoredStep {
  /** Milliseconds after the incident opened. */
  afterMs: number;
  /** EscalationTarget. */
  target: number;
}

/**
 * Help requests, SOS alerts and missed check-ins. `status` is the truth the responders see;
 * `owner_status` is what the owner sees, which a duress cancel sets to CANCELLED while
 * `status` stays OPEN. Once the owner's view closes (resolve, cancel or duress cancel) it is
 * frozen: `owner_view` holds the Incident and `owner_responders` every Responder as the owner
 * saw them then, and `owner_sequence` the last timeline entry they may read.
 */
export interface IncidentsTable {
  id: string;
  /** IncidentKind. */
  kind: number;
  owner_id: string;
  help_type: Generated<number>;
  severity: Generated<number>;
  message: Generated<string>;
  emergency_kind: Generated<number>;
  /** The circles the incident was raised in (uuid[]). */
  circle_ids: string[];
  /** IncidentStatus, as the responders see it. */
  status: number;
  /** IncidentStatus, as the owner sees it. */
  owner_status: number;
  /** Reach, when it was raised. */
  reach: number;
  /** The owner's frozen Incident (binary), once their view closed. */
  owner_view: Buffer | null;
  /** The owner's frozen ListRespondersResponse with every responder (binary). */
  owner_responders: Buffer | null;
  owner_sequence: BigintColumn | null;
  duress_cancelled_at: Date | null;
  claimed_by: string | null;
  check_in_id: string | null;
  /** DeviceContext as protobuf JSON; deleted with the locations. */
  device: ColumnType<unknown, string | null, string | null> | null;
  /** The ladder the incident runs (jsonb, StoredStep[]), copied from the owner's at raise. */
  ladder: ColumnType<StoredStep[], string, string>;
  /** Index of the last step that fired; -1 before the first. */
  current_step: Generated<number>;
  /** When the next step fires; null once stopped, at the end, or for help requests. */
  next_step_at: Date | null;
  ladder_stopped: Generated<boolean>;
  /** Whether a step after the first fired (staff figures). */
  escalated: Generated<boolean>;
  first_ack_at: Date | null;
  /** Wrong PINs given to CancelSos for this incident. */
  pin_failures: Generated<number>;
  /** Location sharing: the last fix as protobuf JSON (deleted 30 days after the end). */
  location: ColumnType<unknown, string | null, string | null> | null;
  location_started_at: Date | null;
  location_expires_at: Date | null;
  location_stopped_at: Date | null;
  resolution_kind: Generated<number>;
  resolution_reason: Generated<string>;
  resolved_by: string | null;
  /** When it ended for the responders (resolve or real cancel). */
  ended_at: Date | null;
  /** When the owner's view closed. */
  owner_closed_at: Date | null;
  /** The last timeline entry's sequence. */
  sequence: BigintColumn;
  version: BigintColumn;
  created_at: Date;
  updated_at: Date;
  /** The incident's moderation enforcement version (moderation.* events); 0 before any. */
  moderation_version: ColumnType<string, string | bigint | undefined, string | bigint>;
  /**
   * A moderator hid or removed the incident: the owner's text (message, notes) is withheld from
   * the responders, never from the owner; alerts and the ladder go on.
   */
  moderation_hidden: Generated<boolean>;
  moderation_removed: Generated<boolean>;
}

/** Everyone alerted about an incident, and what they did. */
export interface RespondersTable {
  incident_id: string;
  user_id: string;
  /** ResponderState. */
  state: number;
  /** ListResponders order: 4 responded, 3 acknowledged, 2 delivered, 1 notified. */
  rank: number;
  escalation_step: number;
  notified_at: Date;
  delivered_at: Date | null;
  acknowledged_at: Date | null;
  response_kind: Generated<number>;
  response_eta_ms: number | null;
  response_note: Generated<string>;
  responded_at: Date | null;
}

/** The append-only incident timeline: each entry a TimelineEntry (binary). */
export interface TimelineTable {
  incident_id: string;
  sequence: BigintColumn;
  occurred_at: Date;
  entry: Buffer;
  /** The entry holds coordinates (location shared), purged with the locations. */
  has_location: Generated<boolean>;
}

/** The SOS cancel and duress PINs, as scrypt hashes. */
export interface SafetyPinsTable {
  user_id: string;
  cancel_hash: string | null;
  duress_hash: string | null;
  updated_at: Date;
}

/** A user's escalation ladder; without a row, the default. */
export interface LaddersTable {
  user_id: string;
  steps: ColumnType<StoredStep[], string, string>;
  version: BigintColumn;
  updated_at: Date;
}

/** Projection of circle.*: whether a circle is deleted, by the circle's version. */
export interface CirclesTable {
  circle_id: string;
  deleted: boolean;
  version: BigintColumn;
}

/** Projection of circle.member_* and circle.safety_role_changed, by the membership's version. */
export interface CircleMembersTable {
  circle_id: string;
  user_id: string;
  /** CircleRole; 0 once the member left or was removed. */
  role: number;
  responder: Generated<boolean>;
  primary_contact: Generated<boolean>;
  /** The membership's version of the last event that set `role`. */
  role_version: BigintColumn;
  /** The membership's version of the last event that set the safety flags. */
  safety_version: BigintColumn;
}

/** Projection of user.profile_updated, for UserSummary. */
export interface UsersTable {
  user_id: string;
  username: string;
  display_name: string;
  avatar_url: string;
  locked: boolean;
  version: BigintColumn;
}

/**
 * An emergency contact on a user's ladder (EmergencyContact). The hashes are keyed hashes of
 * the normalised number and address (contacts/contact-keys.ts), matched against opt-outs.
 */
export interface EmergencyContactsTable {
  id: string;
  user_id: string;
  /** Order on the ladder, from 0. */
  position: number;
  name: string;
  /** E.164, or '' when none. */
  phone: string;
  /** '' when none. */
  email: string;
  phone_hash: Buffer | null;
  email_hash: Buffer | null;
  /** EmergencyContactState. */
  state: number;
  /** The notice this contact was sent when added (its opt-out link points at it). */
  notice_id: string | null;
  /** The notice e-mail while still in the mail queue: a permanent failure makes it UNREACHABLE. */
  notice_mail_id: string | null;
  created_at: Date;
  updated_at: Date;
}

/** One-time notices to new contacts: the opt-out link's target, and the per-day limit's count. */
export interface ContactNoticesTable {
  id: string;
  user_id: string;
  phone_hash: Buffer | null;
  email_hash: Buffer | null;
  created_at: Date;
}

/** Numbers and addresses that opted out of one user's alerts, as keyed hashes (kept forever). */
export interface ContactOptOutsTable {
  user_id: string;
  address_hash: Buffer;
  opted_out_at: Date;
}

/** SMS to emergency contacts, queued in the transaction that decided them (contacts/sms-relay.ts). */
export interface SmsOutboxTable {
  id: string;
  user_id: string;
  contact_id: string | null;
  /** Set on a notice: its permanent failure makes the contact UNREACHABLE. */
  notice_id: string | null;
  to: string;
  /** Emptied once sent or abandoned. */
  body: string;
  attempts: ColumnType<number, number | undefined, number>;
  /** When next due; while claimed, the end of the lease; null when done. */
  next_attempt_at: Date | null;
  sent_at: Date | null;
  provider_id: string | null;
  last_error: string | null;
  created_at: Date;
}

/**
 * An incident export (ExportIncident) waiting for its single download: the file is in the
 * export bucket under `object_key`'s folder until it is downloaded or its link expires.
 */
export interface IncidentExportsTable {
  id: string;
  incident_id: string;
  owner_id: string;
  /** The file in the export bucket (its folder is deleted with it). */
  object_key: string;
  content_type: string;
  file_name: string;
  sha256: string;
  size_bytes: number;
  created_at: Date;
  expires_at: Date;
  /** When the link was used; the file is deleted right after. */
  used_at: Date | null;
}

/**
 * A check-in timer (CheckIn). `timer_at` is when the runner acts next: the reminder at
 * `due_at`, then the miss at `grace_until`; null once the check-in ended (`completed_at`).
 */
export interface CheckInsTable {
  id: string;
  /** The owner: who must check in. */
  user_id: string;
  /** CheckInStatus. */
  status: number;
  due_at: Date;
  /** Circles alerted through the owner's ladder when it is missed (uuid[]). */
  circle_ids: string[];
  destination: Generated<string>;
  /** scrypt hash of the normalised check-in word (check-ins/word.ts); null without a word. */
  word_hash: string | null;
  /** Wrong words given to CheckIn and CancelCheckIn; the third makes it MISSED. */
  word_failures: Generated<number>;
  extension_count: Generated<number>;
  /** The member who asked for it (RequestCheckIn); null when the owner started it. */
  requested_by: string | null;
  /** The MISSED_CHECK_IN incident, once missed. */
  incident_id: string | null;
  reminded_at: Date | null;
  grace_until: Date | null;
  timer_at: Date | null;
  completed_at: Date | null;
  version: BigintColumn;
  created_at: Date;
  updated_at: Date;
}

export interface SupportDatabase {
  incidents: IncidentsTable;
  responders: RespondersTable;
  timeline: TimelineTable;
  safety_pins: SafetyPinsTable;
  ladders: LaddersTable;
  circles: CirclesTable;
  circle_members: CircleMembersTable;
  users: UsersTable;
  emergency_contacts: EmergencyContactsTable;
  contact_notices: ContactNoticesTable;
  contact_opt_outs: ContactOptOutsTable;
  sms_outbox: SmsOutboxTable;
  incident_exports: IncidentExportsTable;
  check_ins: CheckInsTable;
}
