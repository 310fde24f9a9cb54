import type { Migration } from '@kith/db';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * The moderation schema: the append-only event log, the subjects' status derived from it, the
 * reports with their snapshots, actions, strikes, appeals, reporter mutes and the staff seen.
 * Written as SQL for the trigger and arrays; `search_path` is set for this transaction only, so
 * the names land in the service's schema.
 */
const statements = [
  // Every staff and automated step, and every report. `body` is the ModerationEvent (binary).
  // Append-only for everyone, the service's own role included (the audit log).
  `create table events (
    seq bigserial primary key,
    id uuid not null unique,
    subject_kind smallint not null,
    subject_id uuid not null,
    actor_user_id uuid,
    actor_rule_id uuid,
    kind text not null,
    body bytea not null,
    created_at timestamptz(3) not null
  )`,
  `create index events_subject on events (subject_kind, subject_id, seq desc)`,
  `create index events_actor_user on events (actor_user_id, seq desc) where actor_user_id is not null`,
  `create index events_actor_rule on events (actor_rule_id, seq desc) where actor_rule_id is not null`,
  `create index events_created on events (created_at, seq)`,
  `create function events_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'moderation events are append-only' using errcode = 'insufficient_privilege';
    end
  $$`,
  `create trigger events_no_update before update or delete on events
    for each row execute function events_append_only()`,
  `create trigger events_no_truncate before truncate on events
    for each statement execute function events_append_only()`,

  // A subject's status as its log derives it (subjects/status.ts), and the enforcement in force
  // on it. status 0: never in the queue (acted on without a report).
  `create table subjects (
    kind smallint not null,
    id uuid not null,
    status smallint not null default 0,
    status_before_mute smallint not null default 0,
    muted_until timestamptz(3),
    reports_while_muted boolean not null default false,
    assignee_id uuid,
    tags text[] not null default '{}',
    computed_priority smallint not null default 0,
    priority_override smallint,
    priority smallint not null default 0,
    sos_related boolean not null default false,
    report_count integer not null default 0,
    reporter_count integer not null default 0,
    categories smallint[] not null default '{}',
    first_reported_at timestamptz(3),
    last_reported_at timestamptz(3),
    opened_at timestamptz(3),
    closed_at timestamptz(3),
    author_id uuid,
    enforcement jsonb not null default '{}',
    enforcement_version bigint not null default 0,
    updated_at timestamptz(3) not null,
    primary key (kind, id)
  )`,
  // The queue: highest priority first (the override, else the computed one), the oldest first
  // report first among equals.
  `create index subjects_queue on subjects (status, priority desc, first_reported_at, id)`,
  `create index subjects_assignee on subjects (assignee_id) where assignee_id is not null`,
  `create index subjects_muted on subjects (muted_until) where status = 6`,

  // queued = false: filed by a muted reporter (recorded and decided, never in the queue).
  // decision_seq: the event that decided it, so Reopen can make exactly those pending again.
  `create table reports (
    id uuid primary key,
    reporter_id uuid not null,
    subject_kind smallint not null,
    subject_id uuid not null,
    category smallint not null,
    subcategory text not null default '',
    comment text not null default '',
    post_ids uuid[] not null default '{}',
    queued boolean not null,
    outcome smallint not null,
    outcome_message text not null default '',
    action_id uuid,
    decision_seq bigint,
    created_at timestamptz(3) not null,
    decided_at timestamptz(3)
  )`,
  `create index reports_reporter on reports (reporter_id, created_at desc, id desc)`,
  `create index reports_subject on reports (subject_kind, subject_id, outcome)`,
  `create unique index reports_one_pending on reports (reporter_id, subject_kind, subject_id)
    where outcome = 1`,

  // ContentSnapshot (binary), one per content version of a subject.
  `create table snapshots (
    id uuid primary key,
    subject_kind smallint not null,
    subject_id uuid not null,
    content_version bigint not null,
    author_id uuid,
    body bytea not null,
    captured_at timestamptz(3) not null,
    unique (subject_kind, subject_id, content_version)
  )`,
  `create index snapshots_subject on snapshots (subject_kind, subject_id, captured_at desc)`,

  // StatementOfReasons as protobuf JSON; actor_user_id null with actor_rule_id for a rule,
  // both null for the system.
  `create table actions (
    id uuid primary key,
    subject_kind smallint not null,
    subject_id uuid not null,
    user_id uuid not null,
    type smallint not null,
    severity smallint not null,
    duration_seconds integer,
    expires_at timestamptz(3),
    internal_note text not null default '',
    statement jsonb not null,
    strike_id uuid,
    actor_user_id uuid,
    actor_rule_id uuid,
    appeal_deadline timestamptz(3) not null,
    created_at timestamptz(3) not null,
    reversed_at timestamptz(3),
    reversal_reason text not null default '',
    reversal_cause smallint not null default 0
  )`,
  `create index actions_user on actions (user_id, created_at desc, id desc)`,
  `create index actions_subject on actions (subject_kind, subject_id) where reversed_at is null`,
  `create index actions_expiry on actions (expires_at) where reversed_at is null and expires_at is not null`,

  `create table strikes (
    id uuid primary key,
    user_id uuid not null,
    action_id uuid not null unique,
    created_at timestamptz(3) not null,
    expires_at timestamptz(3) not null
  )`,
  `create index strikes_user on strikes (user_id, created_at desc, id desc)`,

  // One appeal per action.
  `create table appeals (
    id uuid primary key,
    action_id uuid not null unique,
    user_id uuid not null,
    text text not null,
    status smallint not null,
    decided_by uuid,
    decision_reason text not null default '',
    created_at timestamptz(3) not null,
    decided_at timestamptz(3)
  )`,
  `create index appeals_status on appeals (status, created_at, id)`,

  `create table reporter_mutes (
    reporter_id uuid primary key,
    until timestamptz(3) not null,
    reason text not null default '',
    muted_by uuid not null,
    muted_at timestamptz(3) not null
  )`,
  `create index reporter_mutes_until on reporter_mutes (until, reporter_id)`,

  // Staff roles as auth's events (and the staff's own calls) made them known.
  `create table staff (
    user_id uuid primary key,
    role text not null,
    updated_at timestamptz(3) not null
  )`,
];

export const createModeration: Migration = {
  async up(db: Kysely<unknown>, { schema }: { schema: string }) {
    await sql`set local search_path to ${sql.id(schema)}`.execute(db);
    for (const statement of statements) await sql.raw(statement).execute(db);
  },
};
