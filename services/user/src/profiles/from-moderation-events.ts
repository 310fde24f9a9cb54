import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { ModerationEnforcement } from '@kith/gen/kith/events/v1/moderation_events_pb.js';
import { withTables } from '@kith/db';
import { decodeEvent } from '@kith/runtime';
import type { ConsumerSpec } from '@kith/runtime';
import type { UserApp } from '../app.js';
import type { UserDatabase } from '../db/schema.js';
import { forgetOnCommit } from './profile-cache.js';
import { applyAccountEnforcement } from './profile-store.js';
import type { AccountEnforcement, ProfilesDb } from './profile-store.js';

function accountEnforcement(enforcement: ModerationEnforcement | undefined): AccountEnforcement {
  return {
    limited: enforcement?.limited ?? false,
    suspended: enforcement?.suspended ?? false,
    suspendedUntil: enforcement?.suspendedUntil ? timestampDate(enforcement.suspendedUntil) : null,
    banned: enforcement?.banned ?? false,
  };
}

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
      const { payload } = decodeEvent(message.data);
      let userId: string;
      let version: bigint;
      let enforcement: ModerationEnforcement | undefined;
      if (payload.case === 'moderationAccountActioned') {
        ({ userId, version, enforcement } = payload.value);
      } else if (
        payload.case === 'moderationActionReversed' &&
        payload.value.subject?.kind.case === 'userId'
      ) {
        userId = payload.value.subject.kind.value;
        ({ version, enforcement } = payload.value);
      } else {
        return;
      }
      const db = withTables<ProfilesDb>(trx);
      if (await applyAccountEnforcement(db, userId, version, accountEnforcement(enforcement))) {
        forgetOnCommit(app, trx, userId);
      }
    },
  };
}
