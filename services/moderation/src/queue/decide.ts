// Closing a subject without action (Dismiss), opening a closed one again (Reopen), and telling
// reporters the outcome of a decision (shared with TakeAction).
import type {
  DismissRequest,
  ReopenRequest,
} from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import type { QueueItem, Subject } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { ReportOutcome, SubjectStatus } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { FailedPreconditionError, PermissionDeniedError } from '@kith/errors';
import { roleAtLeast } from '@kith/context';
import type { SignedInCaller } from '@kith/runtime';
import type { Kysely } from 'kysely';
import type { ModerationApp } from '../app.js';
import type { ModerationDatabase } from '../db/schema.js';
import { decidePendingReports, lastDecisionSeq, reopenReports } from '../reports/report-store.js';
import { changeSubject } from '../subjects/change.js';
import { CLOSED } from '../subjects/status.js';
import { refOf } from '../subjects/subject-ref.js';
import type { SubjectRef } from '../subjects/subject-ref.js';
import { queueItemOf } from '../views.js';

export const STANDARD_MESSAGES = {
  [ReportOutcome.NO_VIOLATION]:
    'We reviewed what you reported and found that it does not break our rules. Thank you for telling us.',
  [ReportOutcome.ACTION_TAKEN]:
    'We reviewed what you reported and took action. Thank you for helping keep Kith safe.',
} as const;

/** moderation.report_decided carries at most this many reports; more go in further events. */
const DECIDED_PER_EVENT = 1000;

/**
 * Decides the subject's pending reports with `outcome` at log position `seq`, and tells their
 * reporters, except those whose reports a reporter mute kept out of the queue.
 */
export async function decideReports(
  app: ModerationApp,
  trx: Kysely<ModerationDatabase>,
  ref: SubjectRef,
  subject: Subject,
  decision: {
    outcome: ReportOutcome.NO_VIOLATION | ReportOutcome.ACTION_TAKEN;
    message: string;
    actionId: string | null;
    seq: bigint;
    now: Date;
    actorId: string | null;
  },
): Promise<void> {
  const message = decision.message || STANDARD_MESSAGES[decision.outcome];
  const decided = await decidePendingReports(trx, ref, { ...decision, message });
  const told = decided.filter((r) => r.queued);
  for (let i = 0; i < told.length; i += DECIDED_PER_EVENT) {
    const chunk = told.slice(i, i + DECIDED_PER_EVENT);
    await app.emit(trx, decision.actorId, {
      case: 'moderationReportDecided',
      value: {
        reportIds: chunk.map((r) => r.id),
        reporterIds: chunk.map((r) => r.reporter_id),
        subject,
        outcome: decision.outcome,
        message,
        actionId: decision.actionId ?? '',
      },
    });
  }
}

export async function dismiss(
  app: ModerationApp,
  caller: SignedInCaller,
  req: DismissRequest,
): Promise<QueueItem> {
  const ref = refOf(req.subject);
  const actorId = caller.principal.userId;
  const recorded = await changeSubject(
    app,
    ref,
    caller.now,
    (_trx, row) => {
      if (CLOSED.includes(row.status) || row.status === 0) {
        throw new FailedPreconditionError('the subject is already closed');
      }
      const needsModerator = row.status === SubjectStatus.ESCALATED || row.sos_related;
      if (needsModerator && !roleAtLeast(caller.principal.role, 'moderator')) {
        throw new PermissionDeniedError(
          'an escalated or SOS-related subject is dismissed by a moderator',
        );
      }
      return {
        drafts: [
          {
            actor: { userId: actorId },
            kind: {
              case: 'dismissed',
              value: { reason: req.reason, reporterMessage: req.reporterMessage },
            },
          },
        ],
      };
    },
    async (trx, recorded) => {
      await decideReports(app, trx, ref, req.subject!, {
        outcome: ReportOutcome.NO_VIOLATION,
        message: req.reporterMessage,
        actionId: null,
        seq: recorded.seqs[0]!,
        now: caller.now,
        actorId,
      });
      return recorded;
    },
  );
  return queueItemOf(recorded.row);
}

export async function reopen(
  app: ModerationApp,
  caller: SignedInCaller,
  req: ReopenRequest,
): Promise<QueueItem> {
  const ref = refOf(req.subject);
  const recorded = await changeSubject(app, ref, caller.now, async (trx, row) => {
    if (!CLOSED.includes(row.status)) {
      throw new FailedPreconditionError('only a closed subject can be reopened');
    }
    // Before the event is recorded, so the reopened reports count in the queue figures.
    const seq = await lastDecisionSeq(trx, ref);
    if (seq) await reopenReports(trx, ref, seq);
    return {
      drafts: [
        {
          actor: { userId: caller.principal.userId },
          kind: { case: 'reopened', value: { reason: req.reason } },
        },
      ],
    };
  });
  return queueItemOf(recorded.row);
}
