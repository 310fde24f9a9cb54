import type { ConsumerSpec } from '@kith/runtime';
import { decodeEvent } from '@kith/runtime';
import type { Kysely } from 'kysely';
import type { AuthApp } from '../app.js';
import type { AuthDatabase } from '../db/schema.js';
import { eraseCredentials } from './erase-credentials.js';

/**
 * `user.erased`: the grace period is over, the user's credentials go (see eraseCredentials).
 * Redelivery finds no account and does nothing.
 */
export function onUserErased(app: AuthApp): ConsumerSpec {
  return {
    durable: 'erase-credentials',
    subjects: 'kith.events.user.erased',
    async handle(trx, message) {
      const { payload } = decodeEvent(message.data);
      if (payload.case !== 'userErased') return;
      // The inbox transaction is on the auth schema (the consumer belongs to this service).
      const db = trx as unknown as Kysely<AuthDatabase>;
      const revocations = await eraseCredentials(db, payload.value.userId, app.clock());
      // Published before the inbox commits, which is safe: a revocation only ever takes access
      // away, and this account is going. Should the commit fail, redelivery erases again.
      await app.publishRevocations(revocations);
      app.logger.info(
        { userId: payload.value.userId, erased: revocations.length > 0 },
        'credentials erased',
      );
    },
  };
}
