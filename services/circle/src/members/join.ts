import { FailedPreconditionError } from '@kith/errors';
import { AuditAction, CircleRole, JoinVia } from '@kith/gen/kith/circle/v1/types_pb.js';
import type { Kysely } from 'kysely';
import type { CircleApp } from '../app.js';
import { recordAudit } from '../audit/audit-store.js';
import { isBanned } from '../bans/ban-store.js';
import type { CircleRow, MemberRow } from '../circles/circle-store.js';
import type { CircleDatabase } from '../db/schema.js';
import { addMember, newMembership } from './member-store.js';

/**
 * Refuses a join the circle cannot take now: the user is banned, or the circle is full. The
 * caller holds the circle's row lock, so the count it read is the count it adds to.
 */
export async function requireRoomFor(
  trx: Kysely<CircleDatabase>,
  circle: CircleRow,
  userId: string,
  now: Date,
): Promise<void> {
  if (await isBanned(trx, circle.id, userId, now)) {
    throw new FailedPreconditionError('banned from this circle');
  }
  if (circle.member_count >= circle.member_cap) {
    throw new FailedPreconditionError('the circle is full');
  }
}

/** How someone came in, for the audit entry and circle.member_joined. */
export type JoinPath =
  | { via: JoinVia.INVITE; invitedBy: string; inviteId: string }
  | { via: JoinVia.INVITE_LINK; inviteLinkId: string }
  | { via: JoinVia.JOIN_REQUEST; approvedBy: string; joinRequestId: string };

/**
 * Adds `userId` as a MEMBER (the caller checked room and holds the circle's lock): the row,
 * the audit entry and circle.member_joined. The membership and the circle after it.
 */
export async function joinCircle(
  app: CircleApp,
  trx: Kysely<CircleDatabase>,
  circle: CircleRow,
  input: { userId: string; path: JoinPath; now: Date },
): Promise<{ membership: MemberRow; circle: CircleRow; version: bigint }> {
  const { path, now } = input;
  const membership = newMembership(circle.id, input.userId, CircleRole.MEMBER, path.via, now);
  const version = await addMember(trx, membership);
  const actorId =
    path.via === JoinVia.INVITE
      ? path.invitedBy
      : path.via === JoinVia.JOIN_REQUEST
        ? path.approvedBy
        : null;
  await recordAudit(trx, {
    circleId: circle.id,
    action: AuditAction.MEMBER_JOINED,
    actorId,
    targetId: input.userId,
    details: {
      joinedVia: path.via,
      ...(path.via === JoinVia.INVITE && { inviteId: path.inviteId }),
      ...(path.via === JoinVia.INVITE_LINK && { inviteLinkId: path.inviteLinkId }),
      ...(path.via === JoinVia.JOIN_REQUEST && { joinRequestId: path.joinRequestId }),
    },
    at: now,
  });
  await app.emit(trx, input.userId, {
    case: 'circleMemberJoined',
    value: {
      circleId: circle.id,
      userId: input.userId,
      role: CircleRole.MEMBER,
      joinedVia: path.via,
      invitedByUserId: path.via === JoinVia.INVITE ? path.invitedBy : '',
      approvedByUserId: path.via === JoinVia.JOIN_REQUEST ? path.approvedBy : '',
      joinRequestId: path.via === JoinVia.JOIN_REQUEST ? path.joinRequestId : '',
      version,
    },
  });
  return {
    membership,
    circle: { ...circle, member_count: circle.member_count + 1, active_at: now },
    version,
  };
}
