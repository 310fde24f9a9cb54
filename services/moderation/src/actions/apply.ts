// Taking an action and reversing one, inside the caller's transaction: the action and its
// strike, the event on the subject's log, the enforcement now in force with the subject's next
// version, the reporters' outcome and the events its owners and the actioned user act on.
import { toJson } from '@bufbuild/protobuf';
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { SubjectKind } from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import type {
  ActionGround,
  ActionReversalReason,
  Severity,
} from '@kith/gen/kith/moderation/v1/types_pb.js';
import {
  ActionType,
  ReportOutcome,
  StatementOfReasonsSchema,
} from '@kith/gen/kith/moderation/v1/types_pb.js';
import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import type { ModerationApp } from '../app.js';
import type { ModerationDatabase } from '../db/schema.js';
import { decideReports } from '../queue/decide.js';
import { recordEvents } from '../subjects/record.js';
import type { ActorRef, Recorded } from '../subjects/record.js';
import { subjectOf } from '../subjects/subject-ref.js';
import type { SubjectRef } from '../subjects/subject-ref.js';
import type { SubjectRow } from '../subjects/subject-store.js';
import { actionOf } from '../views.js';
import { activeActionsOn, insertAction, insertStrike, updateAction } from './action-store.js';
import type { ActionRow } from './action-store.js';
import { enforcementMessage, enforcementOf } from './enforcement.js';

/**
 * The last moment an action may be appealed: six calendar months after it (the DSA Art. 20
 * minimum, settled in ADR 0012, which replaced API.md's 20 days).
 */
export function appealDeadlineOf(takenAt: Date): Date {
  const deadline = new Date(takenAt);
  deadline.setUTCMonth(deadline.getUTCMonth() + 6);
  // 31 August + 6 months is not 31 February: the month's last day instead.
  if (deadline.getUTCDate() !== takenAt.getUTCDate()) deadline.setUTCDate(0);
  return deadline;
}
/** A strike counts against the account for a year. */
export const STRIKE_TTL_MS = 365 * 24 * 3600_000;

const ACCOUNT_TYPES: readonly number[] = [ActionType.LIMIT, ActionType.SUSPEND, ActionType.BAN];

export function redressNotice(deadline: Date): string {
  return (
    `You can appeal this decision in Kith until ${deadline.toISOString().slice(0, 10)} ` +
    '(Settings → Moderation → your actions → Appeal); someone other than the person who ' +
    'decided will review it. You can also turn to a certified out-of-court dispute settlement ' +
    'body, or to the courts.'
  );
}

export interface NewAction {
  /** Its id when the caller needs it first (a snapshot captured for it); a new one otherwise. */
  id?: string;
  ref: SubjectRef;
  /** The actioned user: the account, or the content's author. */
  userId: string;
  type: ActionType;
  severity: Severity;
  durationMs: number | null;
  policy: string;
  ground: ActionGround;
  legalReference: string;
  explanation: string;
  internalNote: string;
  strike: boolean;
  actor: ActorRef;
  automatedDetection: boolean;
  reporterMessage: string;
  /**
   * Whether the action decides the subject's pending reports (staff's do; a rule's hide awaits a
   * moderator, who decides them).
   */
  decidesReports?: boolean;
}

/** Publishes the subject's enforcement after a change, with its next version. */
async function enforce(trx: Kysely<ModerationDatabase>, ref: SubjectRef, row: SubjectRow) {
  const enforcement = enforcementOf(await activeActionsOn(trx, ref));
  const version = BigInt(row.enforcement_version) + 1n;
  return {
    enforcement,
    version,
    patch: { enforcement: JSON.stringify(enforcement), enforcement_version: version },
  };
}

/** TakeAction's work, and a rule's automated action: the subject row is locked by the caller. */
export async function applyAction(
  app: ModerationApp,
  trx: Kysely<ModerationDatabase>,
  row: SubjectRow,
  a: NewAction,
  now: Date,
): Promise<{ action: ActionRow; recorded: Recorded }> {
  const actionId = a.id ?? uuidv7();
  const deadline = appealDeadlineOf(now);
  const statement = create(StatementOfReasonsSchema, {
    explanation: a.explanation,
    ground: a.ground,
    policy: a.policy,
    legalReference: a.legalReference,
    automatedDetection: a.automatedDetection,
    automatedDecision: 'ruleId' in a.actor,
    redress: redressNotice(deadline),
  });
  const strikeId = a.strike ? uuidv7() : null;
  const action = await insertAction(trx, {
    id: actionId,
    subject_kind: a.ref.kind,
    subject_id: a.ref.id,
    user_id: a.userId,
    type: a.type,
    severity: a.severity,
    duration_seconds: a.durationMs === null ? null : Math.round(a.durationMs / 1000),
    expires_at: a.durationMs === null ? null : new Date(now.getTime() + a.durationMs),
    internal_note: a.internalNote,
    statement: JSON.stringify(toJson(StatementOfReasonsSchema, statement)),
    strike_id: strikeId,
    actor_user_id: 'userId' in a.actor ? a.actor.userId : null,
    actor_rule_id: 'ruleId' in a.actor ? a.actor.ruleId : null,
    appeal_deadline: deadline,
    created_at: now,
  });
  if (strikeId) {
    await insertStrike(trx, {
      id: strikeId,
      user_id: a.userId,
      action_id: actionId,
      created_at: now,
      expires_at: new Date(now.getTime() + STRIKE_TTL_MS),
    });
  }
  const { enforcement, version, patch } = await enforce(trx, a.ref, row);
  const recorded = await recordEvents(
    trx,
    a.ref,
    row,
    [{ actor: a.actor, kind: { case: 'actionTaken', value: actionOf(action) } }],
    now,
    { ...patch, author_id: row.author_id ?? a.userId },
  );
  const actorId = 'userId' in a.actor ? a.actor.userId : null;
  const subject = subjectOf(a.ref);
  if (a.decidesReports !== false) {
    await decideReports(app, trx, a.ref, subject, {
      outcome: ReportOutcome.ACTION_TAKEN,
      message: a.reporterMessage,
      actionId,
      seq: recorded.seqs[0]!,
      now,
      actorId,
    });
  }
  const common = {
    actionId,
    actionType: a.type,
    userId: a.userId,
    expiresAt: action.expires_at ? timestampFromDate(action.expires_at) : undefined,
    statementOfReasons: statement,
    strikeId: strikeId ?? '',
    appealDeadline: timestampFromDate(deadline),
    version,
    enforcement: enforcementMessage(enforcement),
  };
  await app.emit(
    trx,
    actorId,
    a.ref.kind === SubjectKind.USER &&
      (ACCOUNT_TYPES.includes(a.type) || a.type === ActionType.WARN)
      ? { case: 'moderationAccountActioned', value: common }
      : { case: 'moderationContentActioned', value: { ...common, subject } },
  );
  return { action, recorded };
}

/**
 * Ends an action in force (staff, an overturned appeal, or expiry): the subject row is locked
 * by the caller, the action row too.
 */
export async function reverseAction(
  app: ModerationApp,
  trx: Kysely<ModerationDatabase>,
  row: SubjectRow,
  action: ActionRow,
  how: { cause: ActionReversalReason; reason: string; actor: ActorRef },
  now: Date,
): Promise<ActionRow> {
  const reversed = await updateAction(trx, action.id, {
    reversed_at: now,
    reversal_reason: how.reason,
    reversal_cause: how.cause,
  });
  const ref = { kind: action.subject_kind, id: action.subject_id };
  const { enforcement, version, patch } = await enforce(trx, ref, row);
  await recordEvents(
    trx,
    ref,
    row,
    [
      {
        actor: how.actor,
        kind: {
          case: 'actionReversed',
          value: { actionId: action.id, reason: how.reason, cause: how.cause },
        },
      },
    ],
    now,
    patch,
  );
  await app.emit(trx, 'userId' in how.actor ? how.actor.userId : null, {
    case: 'moderationActionReversed',
    value: {
      actionId: action.id,
      subject: subjectOf(ref),
      actionType: action.type,
      userId: action.user_id,
      reason: how.cause,
      version,
      enforcement: enforcementMessage(enforcement),
    },
  });
  return reversed;
}
