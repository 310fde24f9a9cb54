import { NotFoundError } from '@kith/errors';
import type { Kysely, Updateable } from 'kysely';
import type { ModerationApp } from '../app.js';
import type { ModerationDatabase, SubjectsTable } from '../db/schema.js';
import { recordEvents } from './record.js';
import type { EventDraft, Recorded } from './record.js';
import type { SubjectRef } from './subject-ref.js';
import { findSubject, lockSubject } from './subject-store.js';
import type { SubjectRow } from './subject-store.js';

export interface Change {
  drafts: EventDraft[];
  patch?: Updateable<SubjectsTable>;
}

/**
 * One staff step on a subject moderation knows (reported, flagged or actioned; NotFound
 * otherwise): `decide` sees the locked row, refuses by throwing, or names the events to append;
 * `then` runs in the same transaction after they are recorded.
 */
export async function changeSubject<T = Recorded>(
  app: ModerationApp,
  ref: SubjectRef,
  now: Date,
  decide: (trx: Kysely<ModerationDatabase>, row: SubjectRow) => Promise<Change> | Change,
  then?: (trx: Kysely<ModerationDatabase>, recorded: Recorded) => Promise<T>,
): Promise<T> {
  if (!(await findSubject(app.database.db, ref))) throw new NotFoundError('subject not found');
  return app.database.transaction(async (trx) => {
    const row = await lockSubject(trx, ref, now);
    const change = await decide(trx, row);
    const recorded = await recordEvents(trx, ref, row, change.drafts, now, change.patch);
    return then ? then(trx, recorded) : (recorded as T);
  });
}
