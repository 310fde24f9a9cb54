import type { Kysely } from 'kysely';
import type { CircleApp } from '../app.js';
import type { CircleDatabase } from '../db/schema.js';
import type { CircleRow } from './circle-store.js';

/** circle.updated: the circle's settings after a change, with what the change touched. */
export function emitCircleUpdated(
  app: CircleApp,
  trx: Kysely<CircleDatabase>,
  actorId: string | null,
  row: CircleRow,
  changedFields: string[],
): Promise<string> {
  return app.emit(trx, actorId, {
    case: 'circleUpdated',
    value: {
      circleId: row.id,
      ownerId: row.owner_id,
      name: row.name,
      description: row.description,
      avatarMediaId: row.avatar_media_id ?? '',
      joinRule: row.join_rule,
      memberCap: row.member_cap,
      discoverable: row.discoverable,
      rulesVersion: row.rules_version,
      changedFields: { paths: changedFields },
      version: BigInt(row.version),
    },
  });
}
