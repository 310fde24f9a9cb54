// What the actioned user sees and does (their actions, strikes and appeals), and staff's side
// of appeals.
import type {
  AppealRequest,
  ListMyActionsRequest,
  ListMyStrikesRequest,
} from '@kith/gen/kith/moderation/v1/moderation_pb.js';
import type {
  ListAppealsRequest,
  ResolveAppealRequest,
} from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import type { ActionNotice, Appeal } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { ActionReversalReason, AppealStatus } from '@kith/gen/kith/moderation/v1/types_pb.js';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  NotFoundError,
  PermissionDeniedError,
} from '@kith/errors';
import type { SignedInCaller } from '@kith/runtime';
import { uuidv7 } from 'uuidv7';
import type { ModerationApp } from '../app.js';
import {
  actionsByIds,
  appealsOfActions,
  appealsPage,
  findAction,
  findAppeal,
  insertAppeal,
  myActionsPage,
  myStrikesPage,
  updateAppeal,
} from '../actions/action-store.js';
import { reverseAction } from '../actions/apply.js';
import { recordEvents } from '../subjects/record.js';
import { lockSubject } from '../subjects/subject-store.js';
import { actionNoticeOf, appealOf, canAppeal, strikeOf } from '../views.js';

export async function listMyActions(
  app: ModerationApp,
  caller: SignedInCaller,
  req: ListMyActionsRequest,
) {
  const userId = caller.principal.userId;
  const db = app.database.db;
  const page = await myActionsPage(db, userId, {
    pageSize: req.pageSize,
    pageToken: req.pageToken,
    codec: app.pageTokens,
    binding: `moderation.ListMyActions:${userId}`,
  });
  const appeals = await appealsOfActions(
    db,
    page.items.map((a) => a.id),
  );
  return {
    actions: page.items.map((a) => actionNoticeOf(a, appeals.get(a.id), caller.now)),
    nextPageToken: page.nextPageToken,
  };
}

/** One action against the caller; NotFound for anyone else's. */
export async function getMyAction(
  app: ModerationApp,
  caller: SignedInCaller,
  actionId: string,
): Promise<ActionNotice> {
  const db = app.database.db;
  const action = await findAction(db, actionId);
  if (!action || action.user_id !== caller.principal.userId) {
    throw new NotFoundError('action not found');
  }
  const appeals = await appealsOfActions(db, [action.id]);
  return actionNoticeOf(action, appeals.get(action.id), caller.now);
}

export async function listMyStrikes(
  app: ModerationApp,
  caller: SignedInCaller,
  req: ListMyStrikesRequest,
) {
  const userId = caller.principal.userId;
  const db = app.database.db;
  const page = await myStrikesPage(db, userId, req.includeExpired, caller.now, {
    pageSize: req.pageSize,
    pageToken: req.pageToken,
    codec: app.pageTokens,
    binding: `moderation.ListMyStrikes:${userId}:${req.includeExpired}`,
  });
  const ids = page.items.map((s) => s.action_id);
  const [actions, appeals] = await Promise.all([actionsByIds(db, ids), appealsOfActions(db, ids)]);
  const byId = new Map(actions.map((a) => [a.id, a]));
  return {
    strikes: page.items.map((s) => strikeOf(s, byId.get(s.action_id)!, appeals.get(s.action_id))),
    nextPageToken: page.nextPageToken,
  };
}

/**
 * Appeal: once per action, by its actioned user, until the deadline, unless staff or an
 * appeal already reversed it. Logged on the action's subject.
 */
export async function appeal(
  app: ModerationApp,
  caller: SignedInCaller,
  req: AppealRequest,
): Promise<Appeal> {
  const userId = caller.principal.userId;
  const now = caller.now;
  const first = await findAction(app.database.db, req.actionId);
  if (!first || first.user_id !== userId) throw new NotFoundError('action not found');
  return app.database.transaction(async (trx) => {
    const ref = { kind: first.subject_kind, id: first.subject_id };
    const row = await lockSubject(trx, ref, now);
    const action = (await findAction(trx, req.actionId, true))!;
    const existing = (await appealsOfActions(trx, [action.id])).get(action.id);
    if (existing) throw new AlreadyExistsError('this action was appealed already');
    if (!canAppeal(action, undefined, now)) {
      throw new FailedPreconditionError(
        now > action.appeal_deadline
          ? 'the appeal deadline has passed'
          : 'the action was reversed already',
      );
    }
    const created = await insertAppeal(trx, {
      id: uuidv7(),
      action_id: action.id,
      user_id: userId,
      text: req.text,
      status: AppealStatus.PENDING,
      created_at: now,
    });
    const view = appealOf(created);
    await recordEvents(
      trx,
      ref,
      row,
      [{ actor: { userId }, kind: { case: 'appealFiled', value: view } }],
      now,
    );
    return view;
  });
}

export async function listAppeals(app: ModerationApp, req: ListAppealsRequest) {
  const statuses = req.statuses.length ? req.statuses : [AppealStatus.PENDING];
  const page = await appealsPage(app.database.db, statuses, {
    pageSize: req.pageSize,
    pageToken: req.pageToken,
    codec: app.pageTokens,
    binding: `moderation.ListAppeals:${statuses.join(',')}`,
  });
  return { appeals: page.items.map(appealOf), nextPageToken: page.nextPageToken };
}

/**
 * ResolveAppeal: by a moderator other than the one who took the action (any moderator for a
 * rule's action). Overturning reverses the action when it is still in force.
 */
export async function resolveAppeal(
  app: ModerationApp,
  caller: SignedInCaller,
  req: ResolveAppealRequest,
): Promise<Appeal> {
  const staffId = caller.principal.userId;
  const now = caller.now;
  const first = await findAppeal(app.database.db, req.appealId);
  if (!first) throw new NotFoundError('appeal not found');
  const firstAction = (await findAction(app.database.db, first.action_id))!;
  return app.database.transaction(async (trx) => {
    const ref = { kind: firstAction.subject_kind, id: firstAction.subject_id };
    const row = await lockSubject(trx, ref, now);
    const action = (await findAction(trx, first.action_id, true))!;
    const current = (await findAppeal(trx, req.appealId, true))!;
    if (action.actor_user_id === staffId) {
      throw new PermissionDeniedError('the appeal goes to someone other than who took the action');
    }
    if (current.status !== AppealStatus.PENDING) {
      throw new FailedPreconditionError('the appeal was decided already');
    }
    const decided = await updateAppeal(trx, current.id, {
      status: req.decision,
      decided_by: staffId,
      decision_reason: req.reason,
      decided_at: now,
    });
    const view = appealOf(decided);
    const { row: subjectRow } = await recordEvents(
      trx,
      ref,
      row,
      [{ actor: { userId: staffId }, kind: { case: 'appealResolved', value: view } }],
      now,
    );
    if (req.decision === AppealStatus.OVERTURNED && !action.reversed_at) {
      await reverseAction(
        app,
        trx,
        subjectRow,
        action,
        {
          cause: ActionReversalReason.APPEAL_OVERTURNED,
          reason: req.reason,
          actor: { userId: staffId },
        },
        now,
      );
    }
    await app.emit(trx, staffId, {
      case: 'moderationAppealResolved',
      value: {
        appealId: decided.id,
        actionId: action.id,
        userId: action.user_id,
        status: req.decision,
        decisionReason: req.reason,
      },
    });
    return view;
  });
}
