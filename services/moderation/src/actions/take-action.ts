import type {
  ReverseActionRequest,
  TakeActionRequest,
} from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import { SubjectKind } from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import type { Action } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { ActionReversalReason } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '@kith/errors';
import type { SignedInCaller } from '@kith/runtime';
import { uuidv7 } from 'uuidv7';
import type { ModerationApp } from '../app.js';
import { isPolicyCode } from '../reports/reasons.js';
import { captureContent, keepCaptured } from '../reports/snapshot.js';
import { refOf } from '../subjects/subject-ref.js';
import { findSubject, lockSubject } from '../subjects/subject-store.js';
import { actionOf } from '../views.js';
import { appealsOfActions, dueExpiries, findAction } from './action-store.js';
import { applyAction, reverseAction } from './apply.js';

const ms = (d: { seconds: bigint; nanos: number } | undefined) =>
  d ? Number(d.seconds) * 1000 + Math.floor(d.nanos / 1e6) : null;

/**
 * TakeAction: on any subject, reported or not. Content is captured first (as its author when
 * moderation knows the author, else as the acting moderator), so the action keeps what it was
 * taken on even when nobody reported this version.
 */
export async function takeAction(
  app: ModerationApp,
  caller: SignedInCaller,
  req: TakeActionRequest,
): Promise<Action> {
  if (!isPolicyCode(req.policy)) {
    throw new InvalidArgumentError([
      { field: 'policy', message: 'is not a policy code (GetReportReasons lists them)' },
    ]);
  }
  const ref = refOf(req.subject);
  const now = caller.now;
  const known = await findSubject(app.database.db, ref);
  const viewer =
    known?.author_id ?? (ref.kind === SubjectKind.USER ? ref.id : caller.principal.userId);
  const field = `subject.${ref.kind === SubjectKind.USER ? 'user_id' : ref.kind === SubjectKind.POST ? 'post_id' : ref.kind === SubjectKind.CIRCLE ? 'circle_id' : 'incident_id'}`;
  const captured = await captureContent(app, ref, viewer, field);
  const actorId = caller.principal.userId;
  return app.database.transaction(async (trx) => {
    const row = await lockSubject(trx, ref, now);
    const actionId = uuidv7();
    await keepCaptured(trx, ref, captured, { case: 'actionId', value: actionId }, now);
    const { action } = await applyAction(
      app,
      trx,
      row,
      {
        id: actionId,
        ref,
        userId: captured.authorId,
        type: req.type,
        severity: req.severity,
        durationMs: ms(req.duration),
        policy: req.policy,
        ground: req.ground,
        legalReference: req.legalReference,
        explanation: req.statementOfReasons,
        internalNote: req.internalNote,
        strike: req.strike,
        actor: { userId: actorId },
        // Staff found it through reports or themselves until rules flag content.
        automatedDetection: false,
        reporterMessage: req.reporterMessage,
      },
      now,
    );
    return actionOf(action);
  });
}

export async function reverse(
  app: ModerationApp,
  caller: SignedInCaller,
  req: ReverseActionRequest,
): Promise<Action> {
  const now = caller.now;
  const first = await findAction(app.database.db, req.actionId);
  if (!first) throw new NotFoundError('action not found');
  return app.database.transaction(async (trx) => {
    const ref = { kind: first.subject_kind, id: first.subject_id };
    const row = await lockSubject(trx, ref, now);
    const action = (await findAction(trx, req.actionId, true))!;
    if (action.reversed_at) throw new FailedPreconditionError('the action is no longer in force');
    const reversed = await reverseAction(
      app,
      trx,
      row,
      action,
      {
        cause: ActionReversalReason.STAFF,
        reason: req.reason,
        actor: { userId: caller.principal.userId },
      },
      now,
    );
    const appeals = await appealsOfActions(trx, [action.id]);
    return actionOf(reversed, appeals.get(action.id));
  });
}

/**
 * Reverses temporary actions that reached their expires_at, each exactly once (the action row
 * is locked and re-checked, so two runners or a restart in between cannot reverse it twice).
 */
export async function expireActions(app: ModerationApp): Promise<number> {
  const now = app.clock();
  const due = await dueExpiries(app.database.db, now, 100);
  let reversed = 0;
  for (const { id } of due) {
    await app.database.transaction(async (trx) => {
      const first = await findAction(trx, id);
      if (!first) return;
      const row = await lockSubject(trx, { kind: first.subject_kind, id: first.subject_id }, now);
      const action = (await findAction(trx, id, true))!;
      if (action.reversed_at || !action.expires_at || action.expires_at > now) return;
      await reverseAction(
        app,
        trx,
        row,
        action,
        { cause: ActionReversalReason.EXPIRED, reason: '', actor: { system: true } },
        now,
      );
      reversed += 1;
    });
  }
  return reversed;
}
