import { withTables } from '@kith/db';
import { accountEnforcementOf, decodeEvent } from '@kith/runtime';
import type { ConsumerSpec } from '@kith/runtime';
import type { UserApp } from '../app.js';
import type { UserDatabase } from '../db/schema.js';
import { forgetOnCommit } from './profile-cache.js';
import { applyAccountEnforcement } from './profile-store.js';
import type { ProfilesDb } from './profile-store.js';

/**
 * Moderation's account enforcement: a suspended (until suspended_until) or banned account's
 * profile answers NotFound to everyone but its owner. Projected by the account's enforcement
 * version, so a replayed account_actioned after its action_reversed changes nothing.
 */
export function profilesFromModerationEvents(app: UserApp): ConsumerSpec<UserDatabase> {
  return {
    durable: 'profiles-from-moderation',
    subjects: 'kith.events.moderation.>',
    async handle(trx, message) {
      const event = accountEnforcementOf(decodeEvent(message.data).payload);
      if (!event) return;
      const { userId, version, enforcement } = event;
      const db = withTables<ProfilesDb>(trx);
      if (await applyAccountEnforcement(db, userId, version, enforcement)) {
        forgetOnCommit(app, trx, userId);
      }
    },
  };
}
