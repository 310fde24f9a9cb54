import type { Trx } from '@kith/db';

/**
 * The `Database.onCommitted` topic of a commit that changed follow counts; its details are the
 * user ids whose counts changed (profiles/profile-cache.ts drops their cached counts).
 */
export const FOLLOW_COUNTS_CHANGED = 'user.follow-counts-changed';

/** Notes, for after the commit, whose follow counts the transaction changed. */
export function noteCountsChanged(
  trx: Pick<Trx<unknown>, 'notifyOnCommit'>,
  userIds: Iterable<string>,
): void {
  for (const userId of userIds) trx.notifyOnCommit(FOLLOW_COUNTS_CHANGED, userId);
}
