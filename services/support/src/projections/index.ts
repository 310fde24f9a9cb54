import { decodeEvent, profilesFromUserEvents } from '@kith/runtime';
import type { ConsumerSpec } from '@kith/runtime';
import type { SupportDatabase } from '../db/schema.js';
import {
  applyCircleDeletion,
  applyMembership,
  applyRole,
  applySafety,
  NO_SAFETY,
  purgeCircle,
} from './circle-store.js';
import { incidentsFromModeration } from './moderation.js';

/** The circle event types support does not project (settings, invites, requests, hides). */
export const IGNORED_CIRCLE_EVENTS = [
  'circle.created',
  'circle.updated',
  'circle.invite_created',
  'circle.join_requested',
  'circle.post_hidden',
  'circle.post_unhidden',
] as const;

/**
 * The consumers that keep support's projections: profiles (UserSummary), circles with their
 * memberships and safety roles, and moderation's enforcement on incidents, each applied by its
 * aggregate's version, so a redelivered or replayed old event never overwrites newer state.
 */
export function supportProjections(): ConsumerSpec<SupportDatabase>[] {
  return [
    profilesFromUserEvents<SupportDatabase>(),
    incidentsFromModeration(),
    {
      durable: 'circles-from-circle',
      subjects: 'kith.events.circle.>',
      ignores: IGNORED_CIRCLE_EVENTS,
      async handle(trx, message) {
        const { payload } = decodeEvent(message.data);
        switch (payload.case) {
          case 'circleMemberJoined': {
            const { circleId, userId, role, version } = payload.value;
            await applyMembership(trx, { circleId, userId, role, safety: NO_SAFETY, version });
            break;
          }
          case 'circleMemberLeft':
          case 'circleMemberRemoved': {
            const { circleId, userId, version } = payload.value;
            await applyMembership(trx, { circleId, userId, role: 0, safety: NO_SAFETY, version });
            break;
          }
          case 'circleRoleChanged': {
            const { circleId, userId, newRole, version } = payload.value;
            await applyRole(trx, { circleId, userId, role: newRole, version });
            break;
          }
          case 'circleSafetyRoleChanged': {
            const { circleId, userId, safety, version } = payload.value;
            await applySafety(trx, {
              circleId,
              userId,
              safety: {
                responder: safety?.responder ?? false,
                primaryContact: safety?.primaryContact ?? false,
              },
              version,
            });
            break;
          }
          case 'circleDeleted':
          case 'circleRestored':
            await applyCircleDeletion(trx, {
              circleId: payload.value.circleId,
              deleted: payload.case === 'circleDeleted',
              version: payload.value.version,
            });
            break;
          case 'circlePurged':
            await purgeCircle(trx, payload.value.circleId, payload.value.version);
            break;
          default:
            break;
        }
      },
    },
  ];
}
