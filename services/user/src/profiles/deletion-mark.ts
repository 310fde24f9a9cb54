import { withTables } from '@kith/db';
import type { Trx } from '@kith/db';
import type { UserApp } from '../app.js';
import type { UserDatabase } from '../db/schema.js';
import { forgetOnCommit } from './profile-cache.js';
import { setDeletionScheduled } from './profile-store.js';
import type { ProfilesDb } from './profile-store.js';

/**
 * For the lifecycle area (RequestAccountDeletion, CancelAccountDeletion, erasure): marks or
 * clears a pending deletion in the caller's transaction and drops the cached profile once it
 * commits, so GetProfile hides (or shows again) the profile at once.
 */
export async function markDeletionScheduled(
  app: Pick<UserApp, 'cache' | 'logger'>,
  trx: Trx<UserDatabase>,
  userId: string,
  scheduledFor: Date | null,
  requestedAt?: Date,
): Promise<void> {
  await setDeletionScheduled(withTables<ProfilesDb>(trx), userId, scheduledFor, requestedAt);
  forgetOnCommit(app, trx, userId);
}
