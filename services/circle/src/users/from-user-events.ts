import { decodeEvent, profilesFromUserEvents } from '@kith/runtime';
import type { ConsumerSpec } from '@kith/runtime';
import type { CircleDatabase } from '../db/schema.js';
import { applyBlock } from './user-store.js';

/**
 * The profiles circle shows (members, audit entries) follow user.profile_updated, and blocks
 * follow user.blocked / user.unblocked, each applied by version, so their order across
 * consumers does not matter. One consumer per subject: none of them is handed the user events
 * it would only skip (notifications, follows), nor user.erased and user.export_requested, which
 * are for the services taking part in the data sagas.
 */
export function usersFromUserEvents(): ConsumerSpec<CircleDatabase>[] {
  return [
    profilesFromUserEvents<CircleDatabase>(),
    ...(['blocked', 'unblocked'] as const).map((kind): ConsumerSpec<CircleDatabase> => ({
      durable: `${kind}-from-user`,
      subjects: `kith.events.user.${kind}`,
      async handle(trx, message) {
        const { payload } = decodeEvent(message.data);
        if (payload.case !== 'userBlocked' && payload.case !== 'userUnblocked') return;
        const { blockerId, blockedId, version } = payload.value;
        await applyBlock(trx, {
          blockerId,
          blockedId,
          active: payload.case === 'userBlocked',
          version,
        });
      },
    })),
  ];
}
