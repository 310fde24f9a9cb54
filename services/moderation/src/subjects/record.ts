// Every change to a subject goes through here: its events are appended to the log, and the
// status the log derives (status.ts), the pending-report figures and the priority are written
// to the subject's row in the same transaction.
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ModerationEvent } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { ActorSchema, ModerationEventSchema } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { toBinary } from '@bufbuild/protobuf';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { Kysely, Updateable } from 'kysely';
import { uuidv7 } from 'uuidv7';
import type { ModerationDatabase, SubjectsTable } from '../db/schema.js';
import { computedPriority } from './priority.js';
import { applyEvent } from './status.js';
import type { SubjectStatusState } from './status.js';
import { subjectOf } from './subject-ref.js';
import type { SubjectRef } from './subject-ref.js';
import { appendEvents, pendingReportFigures, updateSubject } from './subject-store.js';
import type { SubjectRow } from './subject-store.js';

/** Who did it: a staff member (or the reporter), a rule, or moderation itself (expiry). */
export type ActorRef = { userId: string } | { ruleId: string } | { system: true };

export interface EventDraft {
  actor: ActorRef;
  kind: MessageInitShape<typeof ModerationEventSchema>['kind'];
  /** report_filed only: false when a muted reporter filed it (it stays out of the queue). */
  queued?: boolean;
}

export function actorOf(ref: ActorRef) {
  if ('userId' in ref) return create(ActorSchema, { kind: { case: 'userId', value: ref.userId } });
  if ('ruleId' in ref) return create(ActorSchema, { kind: { case: 'ruleId', value: ref.ruleId } });
  return create(ActorSchema, { kind: { case: 'system', value: true } });
}

const statusOf = (row: SubjectRow): SubjectStatusState => ({
  status: row.status,
  status_before_mute: row.status_before_mute,
  muted_until: row.muted_until,
  reports_while_muted: row.reports_while_muted,
  assignee_id: row.assignee_id,
  tags: row.tags,
  priority_override: row.priority_override,
  opened_at: row.opened_at,
  closed_at: row.closed_at,
});

export interface Recorded {
  row: SubjectRow;
  events: ModerationEvent[];
  /** The log sequence of each event, as appended. */
  seqs: bigint[];
}

/**
 * Appends `drafts` to the subject's log and writes what they derive to its row (locked by the
 * caller with lockSubject), with `patch` for what the log does not decide (author,
 * SOS-relatedness, enforcement).
 */
export async function recordEvents(
  trx: Kysely<ModerationDatabase>,
  ref: SubjectRef,
  row: SubjectRow,
  drafts: EventDraft[],
  now: Date,
  patch: Updateable<SubjectsTable> = {},
): Promise<Recorded> {
  let state = statusOf(row);
  const subject = subjectOf(ref);
  const events = drafts.map((draft) => {
    const event = create(ModerationEventSchema, {
      eventId: uuidv7(),
      subject,
      actor: actorOf(draft.actor),
      createdAt: timestampFromDate(now),
      kind: draft.kind,
    });
    state = applyEvent(state, event, { queued: draft.queued });
    return { event, draft };
  });
  const rows = await appendEvents(
    trx,
    events.map(({ event, draft }) => ({
      id: event.eventId,
      subject_kind: ref.kind,
      subject_id: ref.id,
      actor_user_id: 'userId' in draft.actor ? draft.actor.userId : null,
      actor_rule_id: 'ruleId' in draft.actor ? draft.actor.ruleId : null,
      kind: event.kind.case ?? '',
      body: toBinary(ModerationEventSchema, event),
      created_at: now,
    })),
  );
  const figures = await pendingReportFigures(trx, ref);
  const sosRelated = patch.sos_related ?? row.sos_related;
  const computed = computedPriority({
    sosRelated: Boolean(sosRelated),
    categories: figures.categories,
    reporterCount: figures.reporterCount,
  });
  const first = figures.first ?? row.first_reported_at ?? (state.status ? now : null);
  const updated = await updateSubject(trx, ref, {
    ...state,
    report_count: figures.reportCount,
    reporter_count: figures.reporterCount,
    categories: figures.categories,
    first_reported_at: first,
    last_reported_at: figures.last ?? row.last_reported_at,
    computed_priority: computed,
    priority: state.priority_override ?? computed,
    queue_rank: 100 - (state.priority_override ?? computed),
    updated_at: now,
    ...patch,
  });
  return {
    row: updated,
    events: events.map((e) => e.event),
    seqs: rows.map((r) => BigInt(r.seq)),
  };
}
