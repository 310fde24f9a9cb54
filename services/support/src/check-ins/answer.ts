import { durationMs } from '@bufbuild/protobuf/wkt';
import type {
  CancelCheckInRequest,
  CheckInRequest,
  ExtendCheckInRequest,
  ListCheckInsRequest,
} from '@kith/gen/kith/support/v1/check_in_pb.js';
import { CheckInStatus } from '@kith/gen/kith/support/v1/types_pb.js';
import type { CheckIn } from '@kith/gen/kith/support/v1/types_pb.js';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
} from '@kith/errors';
import type { SignedInCaller } from '@kith/runtime';
import type { Kysely } from 'kysely';
import type { SupportApp } from '../app.js';
import type { SupportDatabase } from '../db/schema.js';
import { checkInsPage, findCheckIn, updateCheckIn } from './check-in-store.js';
import type { CheckInRow } from './check-in-store.js';
import { checkInView } from './check-in-view.js';
import { MAX_CHECK_IN_MS } from './start.js';
import { changeCheckIn, missCheckIn } from './timers.js';
import { wordMatches } from './word.js';

type Db = Kysely<SupportDatabase>;

/** Wrong words (CheckIn and CancelCheckIn together) after which the check-in is missed. */
export const MAX_WORD_FAILURES = 3;
/** Extensions a check-in takes (ExtendCheckIn); never past MAX_CHECK_IN_MS from its start. */
export const MAX_EXTENSIONS = 3;

/** The caller's own check-in, locked, and ACTIVE; NotFound for anyone else's. */
async function ownActive(db: Db, checkInId: string, userId: string): Promise<CheckInRow> {
  const row = await findCheckIn(db, checkInId, true);
  if (!row || row.user_id !== userId) throw new NotFoundError('check-in not found');
  if (row.status !== CheckInStatus.ACTIVE) {
    throw new FailedPreconditionError('the check-in is no longer active');
  }
  return row;
}

type Outcome = { row: CheckInRow } | { error: Error };

/**
 * Ends the caller's ACTIVE check-in as `status` once its word (if any) is right. A wrong word is
 * counted and committed before PermissionDenied is answered; the third counts as a miss (the
 * incident opens) and answers the same PermissionDenied, so whoever is guessing cannot tell.
 */
async function endWithWord(
  app: SupportApp,
  caller: SignedInCaller,
  req: { checkInId: string; checkInWord: string },
  status: CheckInStatus,
): Promise<CheckInRow> {
  const userId = caller.principal.userId;
  const now = caller.now;
  const outcome = await app.database.transaction(async (trx): Promise<Outcome> => {
    const row = await ownActive(trx, req.checkInId, userId);
    if (row.word_hash !== null) {
      if (!req.checkInWord) {
        throw new InvalidArgumentError([
          { field: 'check_in_word', message: 'this check-in needs its word' },
        ]);
      }
      if (!(await wordMatches(req.checkInWord, row.word_hash))) {
        const failures = row.word_failures + 1;
        // Not a change anyone reads: the version stays until the miss (if any) bumps it.
        const counted = await updateCheckIn(trx, row.id, { word_failures: failures });
        if (failures >= MAX_WORD_FAILURES) await missCheckIn(app, trx, counted, now);
        return { error: new PermissionDeniedError('wrong check-in word') };
      }
    }
    return {
      row: await changeCheckIn(trx, row, now, { status, completed_at: now, timer_at: null }),
    };
  });
  if ('error' in outcome) throw outcome.error;
  return outcome.row;
}

/** CheckIn: the owner is safe; the timer stops (also during the grace). */
export async function checkIn(
  app: SupportApp,
  caller: SignedInCaller,
  req: CheckInRequest,
): Promise<CheckIn> {
  return checkInView(await endWithWord(app, caller, req, CheckInStatus.CHECKED_IN));
}

/** CancelCheckIn: the owner no longer needs the timer. */
export async function cancelCheckIn(
  app: SupportApp,
  caller: SignedInCaller,
  req: CancelCheckInRequest,
): Promise<void> {
  await endWithWord(app, caller, req, CheckInStatus.CANCELLED);
}

/**
 * ExtendCheckIn: moves due_at by `extend_by` from the later of due_at and now (an extension in
 * the grace gives the full time asked for), at most MAX_EXTENSIONS times and never past 24 h
 * from the start. It clears a reminder: the next one comes at the new due_at.
 */
export async function extendCheckIn(
  app: SupportApp,
  caller: SignedInCaller,
  req: ExtendCheckInRequest,
): Promise<CheckIn> {
  const now = caller.now;
  return app.database.transaction(async (trx) => {
    const row = await ownActive(trx, req.checkInId, caller.principal.userId);
    if (row.extension_count >= MAX_EXTENSIONS) {
      throw new FailedPreconditionError(`a check-in is extended at most ${MAX_EXTENSIONS} times`);
    }
    const from = Math.max(row.due_at.getTime(), now.getTime());
    const dueAt = new Date(from + durationMs(req.extendBy!));
    if (dueAt.getTime() > row.created_at.getTime() + MAX_CHECK_IN_MS) {
      throw new FailedPreconditionError('a check-in cannot run past 24 h from its start');
    }
    const extended = await changeCheckIn(trx, row, now, {
      due_at: dueAt,
      extension_count: row.extension_count + 1,
      reminded_at: null,
      grace_until: null,
      timer_at: dueAt,
    });
    return checkInView(extended);
  });
}

/** ListCheckIns: the caller's own (those asked of them included), newest first. */
export async function listCheckIns(
  app: SupportApp,
  caller: SignedInCaller,
  req: ListCheckInsRequest,
): Promise<{ checkIns: CheckIn[]; nextPageToken: string }> {
  const userId = caller.principal.userId;
  const page = await checkInsPage(app.database.db, {
    userId,
    activeOnly: req.activeOnly,
    pageSize: req.pageSize,
    pageToken: req.pageToken,
    codec: app.pageTokens,
    binding: `support.ListCheckIns:${userId}:${req.activeOnly}`,
  });
  return { checkIns: page.items.map(checkInView), nextPageToken: page.nextPageToken };
}
