import { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';
import type { ConsumerSpec } from '@kith/runtime';
import { decodeEvent } from '@kith/runtime';
import type { AuthApp } from '../app.js';
import type { AuthDatabase } from '../db/schema.js';
import type { Revocation } from '@kith/authn';
import { validAfterSeconds } from '../tokens/access-token.js';
import { deleteCredentials } from './erasure-store.js';

/**
 * `user.erased`: the grace period is over, the user's credentials go (see deleteCredentials),
 * and every verifier forgets the account's tokens, sessions and API keys. Auth then acknowledges
 * its part of the erasure saga (`data.erasure_completed`, in the same transaction), also when it
 * held nothing for the user. Redelivery finds no account and does nothing else.
 */
export function onUserErased(app: AuthApp): ConsumerSpec<AuthDatabase> {
  return {
    durable: 'erase-credentials',
    subjects: 'kith.events.user.erased',
    async handle(trx, message) {
      const { payload } = decodeEvent(message.data);
      if (payload.case !== 'userErased') return;
      const userId = payload.value.userId;
      const erased = await deleteCredentials(trx, userId);
      const revocations: Revocation[] = erased
        ? [
            { kind: 'user', userId, validAfter: validAfterSeconds(app.clock()) },
            ...erased.sessionIds.map((sessionId): Revocation => ({ kind: 'session', sessionId })),
            ...erased.keyHashes.map((keyHash): Revocation => ({ kind: 'api_key', keyHash })),
          ]
        : [];
      // Once the inbox row and the deletes have committed; should the commit fail, redelivery
      // erases again.
      app.revokeOnCommit(trx, revocations);
      await app.emit(trx, null, {
        case: 'dataErasureCompleted',
        value: { userId, service: KithService.AUTH },
      });
      app.logger.info(
        { userId: payload.value.userId, erased: revocations.length > 0 },
        'credentials erased',
      );
    },
  };
}
