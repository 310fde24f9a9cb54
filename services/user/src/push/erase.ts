import { withTables } from '@kith/db';
import type { Trx } from '@kith/db';
import type { UserDatabase } from '../db/schema.js';
import { deleteDevicesOfUser, deletePushesOfRecipient } from './push-store.js';
import type { PushStoreDb } from './push-store.js';

/**
 * Erasure's push step: the user's devices (with their pending deliveries), queued pushes and
 * dead letters, in the caller's transaction. For the lifecycle area's erasure saga.
 */
export async function erasePushData(trx: Trx<UserDatabase>, userId: string): Promise<void> {
  const db = withTables<PushStoreDb>(trx);
  await deleteDevicesOfUser(db, userId);
  await deletePushesOfRecipient(db, userId);
}
