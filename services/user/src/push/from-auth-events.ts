import { withTables } from '@kith/db';
import { decodeEvent } from '@kith/runtime';
import type { ConsumerSpec } from '@kith/runtime';
import type { UserDatabase } from '../db/schema.js';
import { deleteDevicesOfSession, deleteDevicesOfUser } from './push-store.js';
import type { PushStoreDb } from './push-store.js';

/**
 * Push devices end with the session that registered them. auth.session_revoked covers
 * logout, revocation, credential changes and disabling (auth emits it for every session it
 * ends); a disabled account or an expired sign-up loses every device too, whatever arrives
 * first. Role changes (auth.tokens_invalidated alone) leave sessions, so devices, alone.
 */
export const pushDevicesFromAuthEvents: ConsumerSpec<UserDatabase> = {
  durable: 'push-devices-from-auth',
  subjects: 'kith.events.auth.>',
  async handle(trx, message) {
    const { payload } = decodeEvent(message.data);
    const db = withTables<PushStoreDb>(trx);
    switch (payload.case) {
      case 'authSessionRevoked':
        await deleteDevicesOfSession(db, {
          userId: payload.value.userId,
          sessionId: payload.value.sessionId,
        });
        break;
      case 'authAccountDisabled':
      case 'authRegistrationExpired':
        await deleteDevicesOfUser(db, payload.value.userId);
        break;
      default:
        break;
    }
  },
};
