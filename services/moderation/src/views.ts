// The messages moderation answers with, built from its rows. Staff see Action (with the staff
// note and actor); the actioned user sees ActionNotice (neither).
import { create, fromBinary, fromJson } from '@bufbuild/protobuf';
import type { JsonValue } from '@bufbuild/protobuf';
import { durationFromMs, timestampFromDate } from '@bufbuild/protobuf/wkt';
import type {
  Action,
  ActionNotice,
  Appeal,
  ModerationEvent,
  QueueItem,
  Report,
  StatementOfReasons,
  Strike,
} from '@kith/gen/kith/moderation/v1/types_pb.js';
import {
  ActionNoticeSchema,
  ActionSchema,
  AppealSchema,
  AppealStatus,
  ModerationEventSchema,
  QueueItemSchema,
  ReportSchema,
  StatementOfReasonsSchema,
  StrikeSchema,
} from '@kith/gen/kith/moderation/v1/types_pb.js';
import type { Selectable } from 'kysely';
import type {
  ActionsTable,
  AppealsTable,
  EventsTable,
  ReportsTable,
  StrikesTable,
  SubjectsTable,
} from './db/schema.js';
import { actorOf } from './subjects/record.js';
import { subjectOf } from './subjects/subject-ref.js';

export type ActionRow = Selectable<ActionsTable>;
export type AppealRow = Selectable<AppealsTable>;

const ts = (d: Date | null | undefined) => (d ? timestampFromDate(d) : undefined);

export function reportOf(row: Selectable<ReportsTable>): Report {
  return create(ReportSchema, {
    reportId: row.id,
    subject: subjectOf({ kind: row.subject_kind, id: row.subject_id }),
    category: row.category,
    subcategory: row.subcategory,
    comment: row.comment,
    postIds: row.post_ids,
    outcome: row.outcome,
    outcomeMessage: row.outcome_message,
    createdAt: ts(row.created_at),
    decidedAt: ts(row.decided_at),
  });
}

export function queueItemOf(row: Selectable<SubjectsTable>): QueueItem {
  return create(QueueItemSchema, {
    subject: subjectOf(row),
    status: row.status,
    priority: row.priority,
    sosRelated: row.sos_related,
    reportCount: row.report_count,
    reporterCount: row.reporter_count,
    categories: row.categories,
    firstReportedAt: ts(row.first_reported_at),
    lastReportedAt: ts(row.last_reported_at),
    assigneeId: row.assignee_id ?? '',
    tags: row.tags,
    priorityOverridden: row.priority_override !== null,
    mutedUntil: ts(row.muted_until),
  });
}

export function eventOf(row: Selectable<EventsTable>): ModerationEvent {
  return fromBinary(ModerationEventSchema, row.body);
}

export function statementOf(row: ActionRow): StatementOfReasons {
  return fromJson(StatementOfReasonsSchema, row.statement as JsonValue);
}

export function appealOf(row: AppealRow): Appeal {
  return create(AppealSchema, {
    appealId: row.id,
    actionId: row.action_id,
    userId: row.user_id,
    text: row.text,
    status: row.status,
    createdAt: ts(row.created_at),
    decidedAt: ts(row.decided_at),
    decisionReason: row.decision_reason,
  });
}

const durationOf = (row: ActionRow) =>
  row.duration_seconds ? durationFromMs(row.duration_seconds * 1000) : undefined;

/** The action as staff see it. */
export function actionOf(row: ActionRow, appeal?: AppealRow): Action {
  return create(ActionSchema, {
    actionId: row.id,
    subject: subjectOf({ kind: row.subject_kind, id: row.subject_id }),
    type: row.type,
    severity: row.severity,
    duration: durationOf(row),
    expiresAt: ts(row.expires_at),
    internalNote: row.internal_note,
    strikeId: row.strike_id ?? '',
    actor: actorOf(
      row.actor_user_id
        ? { userId: row.actor_user_id }
        : row.actor_rule_id
          ? { ruleId: row.actor_rule_id }
          : { system: true },
    ),
    createdAt: ts(row.created_at),
    reversedAt: ts(row.reversed_at),
    reversalReason: row.reversal_reason,
    reversalCause: row.reversal_cause,
    statementOfReasons: statementOf(row),
    userId: row.user_id,
    appealDeadline: ts(row.appeal_deadline),
    appeal: appeal ? appealOf(appeal) : undefined,
  });
}

/**
 * Appeal accepts it now: not appealed yet, before the deadline, and not reversed by staff or an
 * appeal (an expired action may still be appealed).
 */
export function canAppeal(row: ActionRow, appeal: AppealRow | undefined, now: Date): boolean {
  const reversedByPeople = row.reversed_at !== null && row.reversal_cause !== 3;
  return !appeal && now <= row.appeal_deadline && !reversedByPeople;
}

/** The action as the actioned user sees it: no staff note, no staff identity. */
export function actionNoticeOf(
  row: ActionRow,
  appeal: AppealRow | undefined,
  now: Date,
): ActionNotice {
  return create(ActionNoticeSchema, {
    actionId: row.id,
    subject: subjectOf({ kind: row.subject_kind, id: row.subject_id }),
    type: row.type,
    statementOfReasons: statementOf(row),
    duration: durationOf(row),
    expiresAt: ts(row.expires_at),
    createdAt: ts(row.created_at),
    strikeId: row.strike_id ?? '',
    appealDeadline: ts(row.appeal_deadline),
    canAppeal: canAppeal(row, appeal, now),
    appeal: appeal ? appealOf(appeal) : undefined,
    reversedAt: ts(row.reversed_at),
    reversalCause: row.reversal_cause,
  });
}

export function strikeOf(
  row: Selectable<StrikesTable>,
  action: ActionRow,
  appeal: AppealRow | undefined,
): Strike {
  return create(StrikeSchema, {
    strikeId: row.id,
    userId: row.user_id,
    actionId: row.action_id,
    actionType: action.type,
    createdAt: ts(row.created_at),
    expiresAt: ts(row.expires_at),
    appealDeadline: ts(action.appeal_deadline),
    appeal: appeal ? appealOf(appeal) : undefined,
    statementOfReasons: statementOf(action),
  });
}

export const APPEAL_PENDING = AppealStatus.PENDING;
