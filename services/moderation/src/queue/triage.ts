// Sorting the queue (TRIAGE): acknowledge, assign, unassign, escalate, comment, tag and
// prioritise. Each is one event on the subject's log.
import type {
  AssignRequest,
  CommentRequest,
  EscalateRequest,
  SetPriorityRequest,
  TagSubjectRequest,
} from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import type { ModerationEvent, QueueItem, Subject } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { FailedPreconditionError } from '@kith/errors';
import type { SignedInCaller } from '@kith/runtime';
import type { ModerationApp } from '../app.js';
import { roleOf } from '../staff/staff-store.js';
import { changeSubject } from '../subjects/change.js';
import { CLOSED } from '../subjects/status.js';
import { refOf } from '../subjects/subject-ref.js';
import { queueItemOf } from '../views.js';

/** At most this many tags on a subject. */
export const MAX_TAGS = 20;

const closedError = () => new FailedPreconditionError('the subject is closed; reopen it first');

async function step(
  app: ModerationApp,
  caller: SignedInCaller,
  subject: Subject | undefined,
  decide: Parameters<typeof changeSubject>[3],
): Promise<QueueItem> {
  const recorded = await changeSubject(app, refOf(subject), caller.now, decide);
  return queueItemOf(recorded.row);
}

export function acknowledge(app: ModerationApp, caller: SignedInCaller, subject?: Subject) {
  return step(app, caller, subject, (_trx, row) => {
    if (CLOSED.includes(row.status)) throw closedError();
    return {
      drafts: [
        { actor: { userId: caller.principal.userId }, kind: { case: 'acknowledged', value: {} } },
      ],
    };
  });
}

export function assign(app: ModerationApp, caller: SignedInCaller, req: AssignRequest) {
  return step(app, caller, req.subject, async (trx, row) => {
    const role = await roleOf(trx, req.assigneeId);
    if (!role || role === 'user') {
      throw new FailedPreconditionError('the assignee holds no staff role');
    }
    if (row.assignee_id === req.assigneeId) return { drafts: [] };
    return {
      drafts: [
        {
          actor: { userId: caller.principal.userId },
          kind: { case: 'assigned', value: { assigneeId: req.assigneeId } },
        },
      ],
    };
  });
}

export function unassign(app: ModerationApp, caller: SignedInCaller, subject?: Subject) {
  return step(app, caller, subject, (_trx, row) => ({
    drafts: row.assignee_id
      ? [
          {
            actor: { userId: caller.principal.userId },
            kind: { case: 'unassigned', value: { previousAssigneeId: row.assignee_id } },
          },
        ]
      : [],
  }));
}

export function escalate(app: ModerationApp, caller: SignedInCaller, req: EscalateRequest) {
  return step(app, caller, req.subject, (_trx, row) => {
    if (CLOSED.includes(row.status)) throw closedError();
    return {
      drafts: [
        {
          actor: { userId: caller.principal.userId },
          kind: { case: 'escalated', value: { reason: req.reason } },
        },
      ],
    };
  });
}

export async function comment(
  app: ModerationApp,
  caller: SignedInCaller,
  req: CommentRequest,
): Promise<ModerationEvent> {
  const recorded = await changeSubject(app, refOf(req.subject), caller.now, () => ({
    drafts: [
      {
        actor: { userId: caller.principal.userId },
        kind: { case: 'comment', value: { text: req.text } },
      },
    ],
  }));
  return recorded.events[0]!;
}

export function tagSubject(app: ModerationApp, caller: SignedInCaller, req: TagSubjectRequest) {
  return step(app, caller, req.subject, (_trx, row) => {
    const added = req.add.filter((t) => !row.tags.includes(t));
    const removed = req.remove.filter((t) => row.tags.includes(t));
    if (row.tags.length + added.length - removed.length > MAX_TAGS) {
      throw new FailedPreconditionError(`a subject carries at most ${MAX_TAGS} tags`);
    }
    if (added.length === 0 && removed.length === 0) return { drafts: [] };
    return {
      drafts: [
        {
          actor: { userId: caller.principal.userId },
          kind: { case: 'tagged', value: { added, removed } },
        },
      ],
    };
  });
}

export function setPriority(app: ModerationApp, caller: SignedInCaller, req: SetPriorityRequest) {
  return step(app, caller, req.subject, () => ({
    drafts: [
      {
        actor: { userId: caller.principal.userId },
        kind: {
          case: 'priorityChanged',
          value:
            req.change.case === 'priority'
              ? { priority: req.change.value }
              : { priority: 0, cleared: true },
        },
      },
    ],
  }));
}
