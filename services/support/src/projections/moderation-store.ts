import type { Kysely } from 'kysely';
import type { SupportDatabase } from '../db/schema.js';

/**
 * An incident's moderation enforcement as of `version`, unless the incident already holds that
 * version or a newer one (a redelivery or a replayed older event changes nothing). One
 * conditional update, so two deliveries racing cannot both apply. An incident support does
 * not hold (erased, past retention) is left alone.
 */
export async function applyIncidentModeration(
  db: Kysely<SupportDatabase>,
  m: { incidentId: string; version: bigint; hidden: boolean; removed: boolean },
): Promise<void> {
  await db
    .updateTable('incidents')
    .set({
      moderation_version: m.version.toString(),
      moderation_hidden: m.hidden,
      moderation_removed: m.removed,
    })
    .where('id', '=', m.incidentId)
    .where('moderation_version', '<', m.version.toString())
    .execute();
}
