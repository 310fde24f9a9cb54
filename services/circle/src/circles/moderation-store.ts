import type { Kysely } from 'kysely';
import type { CircleDatabase } from '../db/schema.js';

export type ModerationDb = CircleDatabase;

/** What applying moderation's enforcement to a circle needs, locked for the change. */
export function lockModeration(db: Kysely<ModerationDb>, circleId: string) {
  return db
    .selectFrom('circles')
    .select([
      'id',
      'moderation_state',
      'moderation_version',
      'removed_by_moderation',
      'deleted_at',
      'purge_at',
    ])
    .where('id', '=', circleId)
    .forUpdate()
    .executeTakeFirst();
}

/** Records the moderation state and the enforcement version it came with. */
export async function setModeration(
  db: Kysely<ModerationDb>,
  circleId: string,
  input: { state: number; version: bigint; removedByModeration: boolean },
): Promise<void> {
  await db
    .updateTable('circles')
    .set({
      moderation_state: input.state,
      moderation_version: input.version.toString(),
      removed_by_moderation: input.removedByModeration,
    })
    .where('id', '=', circleId)
    .execute();
}
