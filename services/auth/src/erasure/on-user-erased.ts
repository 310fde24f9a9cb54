import type { ConsumerSpec } from '@kith/runtime';
import { decodeEvent } from '@kith/runtime';
import type { AuthApp } from '../app.js';
import type { AuthDatabase } from '../db/schema.js';
import { eraseCredentials } from './erase-credentials.js';

/**
 * `user.erased`: the grace period is over, the user's credentials go (see eraseCredentials).
 * Redelivery finds no account and does nothing.
 */
export function onUserErased(app: AuthApp): ConsumerSpec<AuthDatabase> {
  return {
    durable: 'erase-credentials',
    subjects: 'kith.events.user.erased',
    async handle(trx, message) {
      const { payload } = decodeEvent(message.data);
      if (payload.case !== 'userErased') return;
      const revocations = await eraseCredentials(trx, payload.value.userId, app.clock());
      // Once the inbox row and the deletes have committed; should the commit fail, redelivery
      // erases again.
      app.revokeOnCommit(trx, revocations);
      app.logger.info(
        { userId: payload.value.userId, erased: revocations.length > 0 },
        'credentials erased',
      );
    },
  };
}
