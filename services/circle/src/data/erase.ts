import { isUuid } from '@kith/bus';
import type { Trx } from '@kith/db';
import {
  AuditAction,
  CircleDeletionReason,
  CircleRole,
} from '@kith/gen/kith/circle/v1/types_pb.js';
import { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { decodeEvent } from '@kith/runtime';
import type { ConsumerSpec } from '@kith/runtime';
import type { CircleApp } from '../app.js';
import { recordAudit } from '../audit/audit-store.js';
import { emitCircleUpdated } from '../circles/circle-events.js';
import { circleForMember, updateCircleRow } from '../circles/circle-store.js';
import type { CircleRow } from '../circles/circle-store.js';
import { releaseAvatarOnCommit } from '../circles/internal-clients.js';
import type { CircleClients } from '../circles/internal-clients.js';
import { purgeCircle } from '../circles/purge.js';
import type { CircleDatabase } from '../db/schema.js';
import { handOverOwnership, memberLeaves } from '../members/members.js';
import { circlesOfMember, circlesWithAvatarBy, forgetUser, heirOf } from './erase-store.js';

/**
 * A circle `userId` owned and nobody inherits: purged at once. A live circle is deleted first
 * (circle.deleted, reason OWNER_ERASED, purge_at now), then purged (circle.purged); one already
 * deleted has had its circle.deleted, and nobody is left who could restore it.
 */
async function eraseCircle(
  app: CircleApp,
  clients: CircleClients,
  trx: Trx<CircleDatabase>,
  circle: CircleRow,
  at: Date,
): Promise<void> {
  let version = BigInt(circle.version);
  if (!circle.deleted_at) {
    version += 1n;
    await app.emit(trx, null, {
      case: 'circleDeleted',
      value: {
        circleId: circle.id,
        purgeAt: timestampFromDate(at),
        version,
        reason: CircleDeletionReason.OWNER_ERASED,
      },
    });
  }
  await purgeCircle(app, clients, trx, { ...circle, version: version.toString() }, at);
}

/**
 * `userId` leaves the circle for good. Their OWNER role passes to the longest-serving ADMIN,
 * else the longest-serving MEMBER, before they go (kith.circle.v1.CircleService); a circle
 * nobody else belongs to, or one its OWNER had deleted, is purged.
 */
async function leaveForGood(
  app: CircleApp,
  clients: CircleClients,
  trx: Trx<CircleDatabase>,
  input: { circleId: string; userId: string; at: Date },
): Promise<void> {
  const { circleId, userId, at } = input;
  const found = await circleForMember(trx, circleId, userId, true);
  if (!found?.membership) return;
  if (found.membership.role === CircleRole.OWNER) {
    const heir = found.circle.deleted_at ? undefined : await heirOf(trx, circleId, userId);
    if (!heir) {
      await eraseCircle(app, clients, trx, found.circle, at);
      return;
    }
    await handOverOwnership(app, trx, { circleId, from: userId, to: heir, actorId: null, at });
  }
  await memberLeaves(app, trx, { circleId, userId, actorId: null, at });
}

/**
 * An avatar `userId` uploaded leaves every circle that shows it (circle.updated); post's hold
 * on it is released once the transaction commits.
 */
async function dropAvatarsBy(
  app: CircleApp,
  clients: CircleClients,
  trx: Trx<CircleDatabase>,
  userId: string,
  at: Date,
): Promise<void> {
  for (const circle of await circlesWithAvatarBy(trx, userId)) {
    const updated = await updateCircleRow(
      trx,
      circle.id,
      { avatar_media_id: null, avatar_owner_id: null, avatar_url: '' },
      at,
    );
    await recordAudit(trx, {
      circleId: circle.id,
      action: AuditAction.CIRCLE_UPDATED,
      actorId: null,
      details: { changedFields: ['avatar_media_id'] },
      at,
    });
    await emitCircleUpdated(app, trx, null, updated, ['avatar_media_id']);
    releaseAvatarOnCommit(app, clients, trx, circle);
  }
}

/**
 * `user.erased` (data_events.proto, erasure saga step 2): the user leaves every circle (owners
 * hand over first, or their circle is purged), the avatars they uploaded come down, and every
 * other row about them goes or stops naming them (forgetUser). Circle then acknowledges with
 * data.erasure_completed in the same transaction, also when it held nothing. A redelivery finds
 * nothing left and acknowledges again, which the saga ignores.
 */
export function onUserErased(app: CircleApp, clients: CircleClients): ConsumerSpec<CircleDatabase> {
  return {
    durable: 'erase-member',
    subjects: 'kith.events.user.erased',
    async handle(trx, message) {
      const { payload } = decodeEvent(message.data);
      if (payload.case !== 'userErased' || !isUuid(payload.value.userId)) return;
      const userId = payload.value.userId;
      const at = app.clock();
      const circles = await circlesOfMember(trx, userId);
      for (const circleId of circles) {
        await leaveForGood(app, clients, trx, { circleId, userId, at });
      }
      await dropAvatarsBy(app, clients, trx, userId, at);
      await forgetUser(trx, userId);
      await app.emit(trx, null, {
        case: 'dataErasureCompleted',
        value: { userId, service: KithService.CIRCLE },
      });
      app.logger.info({ userId, circles: circles.length }, 'member erased');
    },
  };
}
