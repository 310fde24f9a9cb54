import { releaseMedia } from '@kith/runtime';
import type { CircleApp } from '../app.js';
import { deleteCircleRow, nextPurgeable } from './circle-store.js';
import { avatarHold } from './internal-clients.js';
import type { CircleClients } from './internal-clients.js';

const BATCH = 50;

/**
 * Purges deleted circles whose restore window ended: the circle goes with its memberships and
 * audit log (circle.purged, which tells every consumer to drop the circle), and its avatar is
 * released. One batch per call, each circle in its own transaction; answers how many went.
 */
export async function purgeExpiredCircles(app: CircleApp, clients: CircleClients): Promise<number> {
  const now = app.clock();
  let purged = 0;
  for (let i = 0; i < BATCH; i++) {
    const gone = await app.database.transaction(async (trx) => {
      const row = await nextPurgeable(trx, now);
      if (!row) return false;
      await deleteCircleRow(trx, row.id);
      await app.emit(trx, null, {
        case: 'circlePurged',
        value: { circleId: row.id, version: BigInt(row.version) + 1n },
      });
      const avatar = row.avatar_media_id;
      if (avatar) {
        trx.onCommit(() =>
          releaseMedia(clients.post, app.logger, avatarHold(row.owner_id, avatar, row.id)),
        );
      }
      return true;
    });
    if (!gone) break;
    purged += 1;
  }
  return purged;
}
