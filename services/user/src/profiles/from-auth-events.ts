import { withTables } from '@kith/db';
import type { ConsumerSpec } from '@kith/runtime';
import type { UserDatabase } from '../db/schema.js';
import { decodeEvent } from '@kith/runtime';
import { deleteProfile, insertProfile } from './profile-store.js';
import type { ProfilesDb } from './profile-store.js';

/**
 * Profiles follow the auth service's account events. One consumer on every auth subject, so
 * the events of one account are applied in the order they happened (a sign-up's creation
 * before its expiry), even after the service was down for a week.
 */
export const profilesFromAuthEvents: ConsumerSpec<UserDatabase> = {
  durable: 'profiles-from-auth',
  subjects: 'kith.events.auth.>',
  async handle(trx, message) {
    const { payload } = decodeEvent(message.data);
    const db = withTables<ProfilesDb>(trx);
    if (payload.case === 'authUserRegistered') {
      // Deliberately a plain insert: the inbox already skipped redeliveries, so a second
      // application would be a bug and should fail loudly, not pass unseen.
      const { userId, username, locale } = payload.value;
      await insertProfile(db, { userId, username, locale });
    } else if (payload.case === 'authRegistrationExpired') {
      // A sign-up never verified: its profile goes for good (nobody else ever saw it), which
      // frees the username here too. Deleting what is gone does nothing.
      await deleteProfile(db, payload.value.userId);
    }
  },
};
