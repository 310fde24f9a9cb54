import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { EvidenceMediaTable, ModerationDatabase } from '../db/schema.js';

type Db = Kysely<ModerationDatabase>;
export type EvidenceRow = Selectable<EvidenceMediaTable>;

/** `evidence_media.state`. */
export const EVIDENCE_STATE = { toHold: 0, held: 1, nothingToHold: 2, released: 3 } as const;

/** A snapshot's media, to be held; a snapshot kept again adds nothing. */
export async function insertEvidence(
  db: Db,
  rows: readonly Insertable<EvidenceMediaTable>[],
): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('evidence_media')
    .values([...rows])
    .onConflict((oc) => oc.columns(['snapshot_id', 'media_id']).doNothing())
    .execute();
}

/** Media waiting for its hold whose next attempt is due, the longest waiting first. */
export async function evidenceToHold(db: Db, now: Date, limit: number): Promise<EvidenceRow[]> {
  return db
    .selectFrom('evidence_media')
    .selectAll()
    .where('state', '=', EVIDENCE_STATE.toHold)
    .where('next_attempt_at', '<=', now)
    .orderBy('next_attempt_at')
    .limit(limit)
    .execute();
}

/**
 * What the retention lets go of: held media of subjects closed before `cutoff` (and not reopened
 * since), or of subjects never in the queue (a muted reporter's report) held since before it.
 */
export async function evidenceToRelease(
  db: Db,
  cutoff: Date,
  limit: number,
): Promise<EvidenceRow[]> {
  return db
    .selectFrom('evidence_media as e')
    .innerJoin('subjects as s', (j) =>
      j.onRef('s.kind', '=', 'e.subject_kind').onRef('s.id', '=', 'e.subject_id'),
    )
    .selectAll('e')
    .where('e.state', '=', EVIDENCE_STATE.held)
    .where((eb) =>
      eb.or([
        eb('s.closed_at', '<', cutoff),
        eb.and([eb('s.status', '=', 0), eb('e.held_at', '<', cutoff)]),
      ]),
    )
    .limit(limit)
    .execute();
}

/** The held media of one snapshot. */
export async function heldEvidenceOf(db: Db, snapshotId: string): Promise<EvidenceRow[]> {
  return db
    .selectFrom('evidence_media')
    .selectAll()
    .where('snapshot_id', '=', snapshotId)
    .where('state', '=', EVIDENCE_STATE.held)
    .execute();
}

export async function updateEvidence(
  db: Db,
  key: { snapshot_id: string; media_id: string },
  patch: Updateable<EvidenceMediaTable>,
): Promise<void> {
  await db
    .updateTable('evidence_media')
    .set(patch)
    .where('snapshot_id', '=', key.snapshot_id)
    .where('media_id', '=', key.media_id)
    .execute();
}
