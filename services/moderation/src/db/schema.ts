import type { ColumnType, Generated } from 'kysely';

/** bigint columns: pg hands them back as strings. */
type BigintColumn = ColumnType<string, string | bigint, string | bigint>;
/** jsonb read as a value, written as JSON text. */
type Json<T> = ColumnType<T, string | undefined, string>;

/** The append-only log: every report, staff step and automated step (subjects/event-store.ts). */
export interface EventsTable {
  seq: ColumnType<string, never, never>;
  id: string;
  /** SubjectKind. */
  subject_kind: number;
  subject_id: string;
  actor_user_id: string | null;
  actor_rule_id: string | null;
  /** The ModerationEvent oneof case, e.g. "reportFiled". */
  kind: string;
  /** The ModerationEvent, binary. */
  body: Uint8Array;
  created_at: Date;
  /** When erasure rewrote the body without an erased user's words (migration 20261210T1000). */
  redacted_at: Date | null;
}

/** What is in force on a subject (moderation_events.proto ModerationEnforcement), as JSON. */
export interface StoredEnforcement {
  hidden?: boolean;
  removed?: boolean;
  sensitive?: boolean;
  limited?: boolean;
  suspended?: boolean;
  /** ISO time; absent = until lifted. */
  suspendedUntil?: string;
  banned?: boolean;
  underReview?: boolean;
}

/** A subject's status, derived from its log, and the enforcement in force on it. */
export interface SubjectsTable {
  kind: number;
  id: string;
  /** SubjectStatus; 0 = never in the queue. */
  status: Generated<number>;
  status_before_mute: Generated<number>;
  muted_until: Date | null;
  reports_while_muted: Generated<boolean>;
  assignee_id: string | null;
  tags: Generated<string[]>;
  /** Computed from the pending reports (subjects/priority.ts). */
  computed_priority: Generated<number>;
  priority_override: number | null;
  /** The one the queue sorts by: the override, else the computed one. */
  priority: Generated<number>;
  /** 100 − priority: the queue's order as one ascending key (migration 20261208T1400). */
  queue_rank: Generated<number>;
  sos_related: Generated<boolean>;
  report_count: Generated<number>;
  reporter_count: Generated<number>;
  /** ReportCategory[] of the pending reports. */
  categories: Generated<number[]>;
  first_reported_at: Date | null;
  last_reported_at: Date | null;
  /** When it last became OPEN (handling time runs from here). */
  opened_at: Date | null;
  closed_at: Date | null;
  /** The actioned user of the subject: the account, or the content's author. */
  author_id: string | null;
  enforcement: ColumnType<StoredEnforcement, string | undefined, string>;
  enforcement_version: ColumnType<string, string | bigint | undefined, string | bigint>;
  updated_at: Date;
}

export interface ReportsTable {
  id: string;
  reporter_id: string;
  subject_kind: number;
  subject_id: string;
  /** ReportCategory. */
  category: number;
  subcategory: Generated<string>;
  comment: Generated<string>;
  post_ids: Generated<string[]>;
  /** False when filed by a muted reporter: decided with the subject, never in the queue. */
  queued: boolean;
  /** ReportOutcome. */
  outcome: number;
  outcome_message: Generated<string>;
  action_id: string | null;
  /** The log seq of the decision that closed it (Reopen makes those pending again). */
  decision_seq: BigintColumn | null;
  created_at: Date;
  decided_at: Date | null;
}

export interface SnapshotsTable {
  id: string;
  subject_kind: number;
  subject_id: string;
  content_version: BigintColumn;
  author_id: string | null;
  /** ContentSnapshot, binary. */
  body: Uint8Array;
  captured_at: Date;
}

/** A media item of a kept snapshot, held as report evidence in the post service. */
export interface EvidenceMediaTable {
  snapshot_id: string;
  media_id: string;
  owner_id: string;
  subject_kind: number;
  subject_id: string;
  /** EVIDENCE_STATE in evidence/evidence-store.ts. */
  state: Generated<number>;
  attempts: Generated<number>;
  next_attempt_at: Date;
  held_at: Date | null;
  released_at: Date | null;
}

export interface ActionsTable {
  id: string;
  subject_kind: number;
  subject_id: string;
  user_id: string;
  /** ActionType. */
  type: number;
  /** Severity. */
  severity: number;
  duration_seconds: number | null;
  expires_at: Date | null;
  internal_note: Generated<string>;
  /** StatementOfReasons as protobuf JSON. */
  statement: Json<unknown>;
  strike_id: string | null;
  actor_user_id: string | null;
  actor_rule_id: string | null;
  appeal_deadline: Date;
  created_at: Date;
  reversed_at: Date | null;
  reversal_reason: Generated<string>;
  /** ActionReversalReason. */
  reversal_cause: Generated<number>;
}

export interface StrikesTable {
  id: string;
  user_id: string;
  action_id: string;
  created_at: Date;
  expires_at: Date;
}

export interface AppealsTable {
  id: string;
  action_id: string;
  user_id: string;
  text: string;
  /** AppealStatus. */
  status: number;
  decided_by: string | null;
  decision_reason: Generated<string>;
  created_at: Date;
  decided_at: Date | null;
}

export interface ReporterMutesTable {
  reporter_id: string;
  until: Date;
  reason: Generated<string>;
  muted_by: string;
  muted_at: Date;
}

export interface StaffTable {
  user_id: string;
  role: string;
  updated_at: Date;
}

/** An automated rule: the Rule message (binary), with what lists and filters read as columns. */
export interface RulesTable {
  id: string;
  body: Uint8Array;
  enabled: boolean;
  version: number;
  created_at: Date;
  deleted_at: Date | null;
}

/** One counted event of an account for a rate rule (pruned past the rule's window). */
export interface RateCountsTable {
  rule_id: string;
  user_id: string;
  at: Date;
  /** The counted event's subject (a post id, a followee…), so a redelivery counts once. */
  ref: string;
}

/** Support's open incidents, from its events: what makes a subject SOS-related. */
export interface OpenIncidentsTable {
  incident_id: string;
  owner_id: string;
}

/** Content waiting for the rules (rules/rule-runner.ts). */
export interface RuleJobsTable {
  id: string;
  subject_kind: number;
  subject_id: string;
  author_id: string;
  /** RuleScope. */
  scope: number;
  fields: ColumnType<{ field: string; text: string }[], string, string>;
  /** A rate rule's hide of one counted post: that rule matches, no evaluation. */
  forced_rule_id: string | null;
  forced_detail: Generated<string>;
  attempts: Generated<number>;
  not_before: Date;
  created_at: Date;
}

export interface ModerationDatabase {
  rule_jobs: RuleJobsTable;
  open_incidents: OpenIncidentsTable;
  rules: RulesTable;
  rate_counts: RateCountsTable;
  events: EventsTable;
  subjects: SubjectsTable;
  reports: ReportsTable;
  snapshots: SnapshotsTable;
  evidence_media: EvidenceMediaTable;
  actions: ActionsTable;
  strikes: StrikesTable;
  appeals: AppealsTable;
  reporter_mutes: ReporterMutesTable;
  staff: StaffTable;
}
