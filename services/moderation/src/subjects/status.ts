// A subject's status derived from its event log, one event at a time (Ozone's model): the store
// keeps the result as a projection, written in the transaction that appends the events, and
// `status.test.ts` rebuilds it from the log to show the two never differ.
import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { ModerationEvent } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { SubjectStatus } from '@kith/gen/kith/moderation/v1/types_pb.js';

/** The part of a subject its log decides. */
export interface SubjectStatusState {
  status: SubjectStatus | 0;
  status_before_mute: SubjectStatus | 0;
  muted_until: Date | null;
  reports_while_muted: boolean;
  assignee_id: string | null;
  tags: string[];
  priority_override: number | null;
  opened_at: Date | null;
  closed_at: Date | null;
}

export const NEW_SUBJECT: SubjectStatusState = {
  status: 0,
  status_before_mute: 0,
  muted_until: null,
  reports_while_muted: false,
  assignee_id: null,
  tags: [],
  priority_override: null,
  opened_at: null,
  closed_at: null,
};

export const CLOSED: readonly number[] = [SubjectStatus.ACTIONED, SubjectStatus.DISMISSED];
/** Waiting for staff (GetStats' pending). */
export const PENDING: readonly number[] = [
  SubjectStatus.OPEN,
  SubjectStatus.ACKNOWLEDGED,
  SubjectStatus.ESCALATED,
];

/**
 * The state after `event`. `queued` says whether a report_filed counts for the queue (a muted
 * reporter's does not); a rule match opens the subject unless it was in shadow mode or
 * refused content before publication.
 */
export function applyEvent(
  state: SubjectStatusState,
  event: ModerationEvent,
  options: { queued?: boolean } = {},
): SubjectStatusState {
  const at = event.createdAt ? timestampDate(event.createdAt) : new Date(0);
  const open = (): SubjectStatusState => {
    if (state.status === SubjectStatus.MUTED) return { ...state, reports_while_muted: true };
    if (state.status === 0 || CLOSED.includes(state.status)) {
      return { ...state, status: SubjectStatus.OPEN, opened_at: at, closed_at: null };
    }
    return state;
  };
  const close = (status: SubjectStatus): SubjectStatusState => ({
    ...state,
    status,
    closed_at: at,
    muted_until: null,
    reports_while_muted: false,
  });
  const k = event.kind;
  switch (k.case) {
    case 'reportFiled':
      return options.queued === false ? state : open();
    case 'ruleMatched':
      return k.value.shadow || k.value.rejected ? state : open();
    case 'acknowledged':
      return {
        ...state,
        status: state.status === SubjectStatus.OPEN ? SubjectStatus.ACKNOWLEDGED : state.status,
        assignee_id: event.actor?.kind.case === 'userId' ? event.actor.kind.value : null,
      };
    case 'assigned':
      return { ...state, assignee_id: k.value.assigneeId };
    case 'unassigned':
      return { ...state, assignee_id: null };
    case 'escalated':
      return { ...state, status: SubjectStatus.ESCALATED };
    case 'tagged': {
      const tags = new Set(state.tags);
      for (const t of k.value.added) tags.add(t);
      for (const t of k.value.removed) tags.delete(t);
      return { ...state, tags: [...tags].sort() };
    }
    case 'priorityChanged':
      return { ...state, priority_override: k.value.cleared ? null : k.value.priority };
    case 'actionTaken':
      return close(SubjectStatus.ACTIONED);
    case 'dismissed':
      return close(SubjectStatus.DISMISSED);
    case 'reopened':
      return { ...state, status: SubjectStatus.OPEN, opened_at: at, closed_at: null };
    case 'subjectMuted':
      return {
        ...state,
        status: SubjectStatus.MUTED,
        status_before_mute:
          state.status === SubjectStatus.MUTED ? state.status_before_mute : state.status,
        muted_until: k.value.until ? timestampDate(k.value.until) : null,
        reports_while_muted: state.status === SubjectStatus.MUTED && state.reports_while_muted,
      };
    case 'subjectUnmuted': {
      const back: SubjectStatus | 0 = state.reports_while_muted
        ? SubjectStatus.OPEN
        : state.status_before_mute;
      const reopened = back === SubjectStatus.OPEN && state.status_before_mute !== back;
      return {
        ...state,
        status: back,
        status_before_mute: 0,
        muted_until: null,
        reports_while_muted: false,
        ...(reopened ? { opened_at: at, closed_at: null } : {}),
      };
    }
    default:
      // Comments, content reads, reversals, appeals and reporter mutes leave the status alone.
      return state;
  }
}
