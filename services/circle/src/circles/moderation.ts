import { isUuid } from '@kith/bus';
import { CircleDeletionReason, CircleModerationState } from '@kith/gen/kith/circle/v1/types_pb.js';
import type { ModerationEnforcement } from '@kith/gen/kith/events/v1/moderation_events_pb.js';
import { decodeEvent } from '@kith/runtime';
import type { ConsumerSpec } from '@kith/runtime';
import type { CircleApp } from '../app.js';
import type { CircleDatabase } from '../db/schema.js';
import { restoreCircleRow, softDeleteCircle } from './circles.js';
import { lockModeration, setModeration } from './moderation-store.js';

/** The circle's moderation state under `enforcement` (moderation_events.proto). */
function stateOf(enforcement: ModerationEnforcement | undefined): CircleModerationState {
  if (enforcement?.removed) return CircleModerationState.REMOVED;
  if (enforcement?.hidden || enforcement?.underReview) return CircleModerationState.HIDDEN;
  return CircleModerationState.NONE;
}

/**
 * Platform moderation of circles (moderation_events.proto): content_actioned and
 * action_reversed on a circle subject, applied by the subject's enforcement version, so a
 * replayed older event changes nothing. Hidden: out of search, previews and links, members keep
 * everything. Removed: deleted as by DeleteCircle (circle.deleted, reason MODERATION), which
 * RestoreCircle refuses; a reversal before purge_at restores it (circle.restored), unless its
 * OWNER had deleted it first, which stays as the OWNER left it.
 */
export function circlesFromModeration(app: CircleApp): ConsumerSpec<CircleDatabase> {
  return {
    durable: 'circles-from-moderation',
    subjects: 'kith.events.moderation.>',
    async handle(trx, message) {
      const { payload } = decodeEvent(message.data);
      if (
        payload.case !== 'moderationContentActioned' &&
        payload.case !== 'moderationActionReversed'
      ) {
        return;
      }
      const { subject, version, enforcement } = payload.value;
      if (subject?.kind.case !== 'circleId' || !isUuid(subject.kind.value)) return;
      const circleId = subject.kind.value;
      const row = await lockModeration(trx, circleId);
      if (!row || version <= BigInt(row.moderation_version)) return;
      const state = stateOf(enforcement);
      const at = app.clock();
      let removedByModeration = row.removed_by_moderation;
      if (state === CircleModerationState.REMOVED && !row.deleted_at) {
        await softDeleteCircle(app, trx, circleId, {
          actorId: null,
          reason: CircleDeletionReason.MODERATION,
          at,
        });
        removedByModeration = true;
      } else if (state !== CircleModerationState.REMOVED && row.removed_by_moderation) {
        if (row.deleted_at && row.purge_at && row.purge_at > at) {
          await restoreCircleRow(app, trx, circleId, { actorId: null, at });
        }
        removedByModeration = false;
      }
      await setModeration(trx, circleId, { state, version, removedByModeration });
      app.logger.info(
        { circleId, state, version: version.toString() },
        'circle moderation applied',
      );
    },
  };
}
