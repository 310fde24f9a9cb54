import { durationMs, timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import type {
  RequestCheckInRequest,
  StartCheckInRequest,
} from '@kith/gen/kith/support/v1/check_in_pb.js';
import { CheckInStatus, EscalationTarget, Reach } from '@kith/gen/kith/support/v1/types_pb.js';
import type { CheckIn } from '@kith/gen/kith/support/v1/types_pb.js';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
} from '@kith/errors';
import type { SignedInCaller } from '@kith/runtime';
import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import type { SupportApp } from '../app.js';
import { hasAlertableContacts } from '../contacts/alert.js';
import type { SupportDatabase } from '../db/schema.js';
import { callerCircles } from '../incidents/raise.js';
import { ladderSteps } from '../ladder/steps.js';
import { circlesOf, membersOf } from '../projections/circle-store.js';
import { countOwnActive, findActiveRequest, insertCheckIn } from './check-in-store.js';
import { checkInView } from './check-in-view.js';
import { hashWord } from './word.js';

type Db = Kysely<SupportDatabase>;

const MINUTE = 60_000;
/** A check-in is due at most 24 h after it starts (also after extensions). */
export const MAX_CHECK_IN_MS = 24 * 60 * MINUTE;
/** RequestCheckIn's answer window when the asker gives none. */
export const DEFAULT_ANSWER_WITHIN_MS = 30 * MINUTE;
/** ACTIVE check-ins a user may have started themselves at once; more answer ResourceExhausted. */
export const MAX_OWN_ACTIVE = 10;

/**
 * Whom a miss would reach now, as the ladder would open it: circle members through its circle
 * steps, else the emergency contacts, else nobody.
 */
async function missReach(db: Db, userId: string, circleIds: string[]): Promise<Reach> {
  const targets = new Set((await ladderSteps(db, userId)).map((s) => s.target));
  const reaches = async (target: EscalationTarget) => {
    if (!targets.has(target)) return false;
    switch (target) {
      case EscalationTarget.PRIMARY_CONTACTS:
        return (await membersOf(db, circleIds, userId, 'primary_contact')).length > 0;
      case EscalationTarget.INCIDENT_CIRCLES:
        return (await membersOf(db, circleIds, userId)).length > 0;
      default: {
        const all = new Set([...circleIds, ...(await circlesOf(db, userId))]);
        return (await membersOf(db, [...all], userId)).length > 0;
      }
    }
  };
  for (const target of [
    EscalationTarget.PRIMARY_CONTACTS,
    EscalationTarget.INCIDENT_CIRCLES,
    EscalationTarget.ALL_CIRCLES,
  ]) {
    if (await reaches(target)) return Reach.MEMBERS;
  }
  return (await hasAlertableContacts(db, userId)) ? Reach.EMERGENCY_CONTACTS_ONLY : Reach.NOBODY;
}

/**
 * The deadline of a new check-in: a duration from now, or an arrival time within 24 h. The
 * proto bounds are checked against the wall clock; these against the service's clock.
 */
function deadlineOf(req: StartCheckInRequest, now: Date): Date {
  const due =
    req.deadline.case === 'duration'
      ? new Date(now.getTime() + durationMs(req.deadline.value))
      : req.deadline.case === 'dueAt'
        ? timestampDate(req.deadline.value)
        : undefined;
  if (!due || due <= now || due.getTime() > now.getTime() + MAX_CHECK_IN_MS) {
    throw new InvalidArgumentError([
      {
        field: req.deadline.case === 'dueAt' ? 'due_at' : 'duration',
        message: 'must be within 24 h from now',
      },
    ]);
  }
  return due;
}

/**
 * StartCheckIn: a timer of the caller's; if they neither check in nor extend before due_at and
 * its grace, the MISSED_CHECK_IN incident alerts the circles through their ladder. The caller
 * must be a member of each circle (else NotFound); with no circle they need an emergency
 * contact that can be alerted (else FailedPrecondition).
 */
export async function startCheckIn(
  app: SupportApp,
  caller: SignedInCaller,
  req: StartCheckInRequest,
): Promise<{ checkIn: CheckIn; reach: Reach }> {
  const userId = caller.principal.userId;
  const now = caller.now;
  const dueAt = deadlineOf(req, now);
  const circleIds =
    req.circleIds.length > 0 ? await callerCircles(app, userId, req.circleIds, false) : [];
  const wordHash = req.checkInWord ? await hashWord(req.checkInWord) : null;
  return app.database.transaction(async (trx) => {
    if (circleIds.length === 0 && !(await hasAlertableContacts(trx, userId))) {
      throw new FailedPreconditionError(
        'a check-in needs a circle or an emergency contact to alert if it is missed',
      );
    }
    if ((await countOwnActive(trx, userId)) >= MAX_OWN_ACTIVE) {
      throw new ResourceExhaustedError({
        message: `at most ${MAX_OWN_ACTIVE} check-ins can run at once`,
      });
    }
    const row = await insertCheckIn(trx, {
      id: uuidv7(),
      user_id: userId,
      status: CheckInStatus.ACTIVE,
      due_at: dueAt,
      circle_ids: circleIds,
      destination: req.destination,
      word_hash: wordHash,
      requested_by: null,
      incident_id: null,
      reminded_at: null,
      grace_until: null,
      timer_at: dueAt,
      completed_at: null,
      version: '1',
      created_at: now,
      updated_at: now,
    });
    return { checkIn: checkInView(row), reach: await missReach(trx, userId, circleIds) };
  });
}

/**
 * RequestCheckIn: asks another member of a shared circle to check in within the answer window
 * (30 min unless given). The check-in is the user's, without a word, alerting that circle
 * through their ladder if missed; support.check_in_requested notifies them. While the caller's
 * earlier request to the same user is still ACTIVE, that one is returned and nobody is notified
 * again, so a worried member cannot flood the user.
 */
export async function requestCheckIn(
  app: SupportApp,
  caller: SignedInCaller,
  req: RequestCheckInRequest,
): Promise<CheckIn> {
  const askerId = caller.principal.userId;
  const now = caller.now;
  if (req.userId === askerId) {
    throw new InvalidArgumentError([
      {
        field: 'user_id',
        message: 'ask another member; start your own check-in with StartCheckIn',
      },
    ]);
  }
  await callerCircles(app, askerId, [req.circleId], false);
  try {
    await callerCircles(app, req.userId, [req.circleId], false);
  } catch (err) {
    if (err instanceof NotFoundError) throw new NotFoundError('member not found');
    throw err;
  }
  const existing = () => findActiveRequest(app.database.db, req.userId, askerId);
  const earlier = await existing();
  if (earlier) return checkInView(earlier);
  const dueAt = new Date(
    now.getTime() + (req.answerWithin ? durationMs(req.answerWithin) : DEFAULT_ANSWER_WITHIN_MS),
  );
  try {
    return await app.database.transaction(async (trx) => {
      const row = await insertCheckIn(trx, {
        id: uuidv7(),
        user_id: req.userId,
        status: CheckInStatus.ACTIVE,
        due_at: dueAt,
        circle_ids: [req.circleId],
        destination: '',
        word_hash: null,
        requested_by: askerId,
        incident_id: null,
        reminded_at: null,
        grace_until: null,
        timer_at: dueAt,
        completed_at: null,
        version: '1',
        created_at: now,
        updated_at: now,
      });
      await app.emit(trx, askerId, {
        case: 'supportCheckInRequested',
        value: {
          checkInId: row.id,
          userId: req.userId,
          requestedByUserId: askerId,
          circleId: req.circleId,
          message: req.message,
          dueAt: timestampFromDate(dueAt),
          version: 1n,
        },
      });
      return checkInView(row);
    });
  } catch (err) {
    // A concurrent request from the same asker made it first (one ACTIVE per pair): that one.
    if (isUniqueViolation(err)) {
      const winner = await existing();
      if (winner) return checkInView(winner);
    }
    throw err;
  }
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === '23505';
}
