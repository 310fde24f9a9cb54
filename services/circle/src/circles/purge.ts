import type { Trx } from '@kith/db';
import type { CircleApp } from '../app.js';
import { recordPurge } from '../admin/stats-store.js';
import type { CircleDatabase } from '../db/schema.js';
import { deleteCircleRow, nextPurgeable } from './circle-store.js';
import type { CircleRow } from './circle-store.js';
import { releaseAvatarOnCommit } from './internal-clients.js';
import type { CircleClients } from './internal-clients.js';

const BATCH = 50;

/**
 * Deletes a circle for good at `at`, in the caller's transaction: its memberships and audit log
 * go with it (circle.purged, which tells every consumer to drop the circle), only the time of the
 * purge stays (GetStats' circles_purged), and its avatar is released once the transaction
 * commits. `row.version` is the circle's version before the purge.
 */
export async function purgeCircle(
  app: CircleApp,
  clients: CircleClients,
  trx: Trx<CircleDatabase>,
  row: Pick<CircleRow, 'id' | 'owner_id' | 'avatar_media_id' | 'avatar_owner_id' | 'version'>,
  at: Date,
): Promise<void> {
  await deleteCircleRow(trx, row.id);
  await recordPurge(trx, at);
  await app.emit(trx, null, {
    case: 'circlePurged',
    value: { circleId: row.id, version: BigInt(row.version) + 1n },
  });
  releaseAvatarOnCommit(app, clients, trx, row);
}

/**
 * Purges deleted circles whose restore window ended (purgeCircle). One batch per call, each
 * circle in its own transaction; answers how many went.
 */
export async function purgeExpiredCircles(app: CircleApp, clients: CircleClients): Promise<number> {
  const now = app.clock();
  let purged = 0;
  for (let i = 0; i < BATCH; i++) {
    const gone = await app.database.transaction(async (trx) => {
      const row = await nextPurgeable(trx, now);
      if (!row) return false;
      await purgeCircle(app, clients, trx, row, now);
      return true;
    });
    if (!gone) break;
    purged += 1;
  }
  return purged;
}
