import { withTables } from '@kith/db';
import { decodeEvent } from '@kith/runtime';
import type { ConsumerSpec } from '@kith/runtime';
import type { UserApp } from '../app.js';
import type { UserDatabase } from '../db/schema.js';
import { forgetOnCommit } from './profile-cache.js';
import {
  deleteContact,
  deleteProfile,
  findProfile,
  insertProfile,
  type ProfilesDb,
  setProfileDisabled,
  upsertContactEmail,
} from './profile-store.js';
import { emitSettingsUpdated } from './settings.js';
import { deleteSettings, insertSettings } from './settings-store.js';

/**
 * Profiles follow the auth service's account events. One consumer on every auth subject, so
 * the events of one account are applied in the order they happened (a sign-up's creation
 * before its expiry, a disabling before the enabling), even after the service was down for a
 * week. E-mail addresses are stored for notifications and never logged.
 */
export function profilesFromAuthEvents(app: UserApp): ConsumerSpec<UserDatabase> {
  return {
    durable: 'profiles-from-auth',
    subjects: 'kith.events.auth.>',
    async handle(trx, message) {
      const { payload } = decodeEvent(message.data);
      const db = withTables<ProfilesDb>(trx);
      const now = app.clock();
      switch (payload.case) {
        case 'authUserRegistered': {
          // Deliberately plain inserts: the inbox already skipped redeliveries, so a second
          // application would be a bug and should fail loudly, not pass unseen.
          const { userId, username, locale, email } = payload.value;
          await insertProfile(db, { userId, username, locale });
          const settings = await insertSettings(db, { userId, locale });
          if (email) await upsertContactEmail(db, userId, email, now);
          const profile = (await findProfile(db, userId))!;
          await app.emit(trx, null, {
            case: 'userProfileUpdated',
            value: {
              userId,
              username,
              displayName: profile.display_name,
              avatarUrl: '',
              locked: profile.locked,
              hideFollowLists: profile.hide_follow_lists,
              avatarMediaId: '',
              bio: profile.bio,
              links: [],
              version: BigInt(profile.version),
            },
          });
          await emitSettingsUpdated(app, trx, null, settings);
          break;
        }
        case 'authEmailChanged':
          if (payload.value.email) {
            await upsertContactEmail(db, payload.value.userId, payload.value.email, now);
          }
          break;
        case 'authAccountDisabled':
          await setProfileDisabled(db, payload.value.userId, now);
          forgetOnCommit(app, trx, payload.value.userId);
          break;
        case 'authAccountEnabled':
          await setProfileDisabled(db, payload.value.userId, null);
          forgetOnCommit(app, trx, payload.value.userId);
          break;
        case 'authRegistrationExpired':
          // A sign-up never verified: its profile goes for good (nobody else ever saw it), which
          // frees the username here too. Deleting what is gone does nothing.
          await deleteProfile(db, payload.value.userId);
          await deleteSettings(db, payload.value.userId);
          await deleteContact(db, payload.value.userId);
          forgetOnCommit(app, trx, payload.value.userId);
          break;
        default:
          break;
      }
    },
  };
}
