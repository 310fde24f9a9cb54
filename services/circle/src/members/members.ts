import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { requireRecentAuth } from '@kith/authn';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
} from '@kith/errors';
import type { MemberSafety, MemberSchema } from '@kith/gen/kith/circle/v1/types_pb.js';
import { AuditAction, CircleRole } from '@kith/gen/kith/circle/v1/types_pb.js';
import type { SignedInCaller } from '@kith/runtime';
import type { Kysely } from 'kysely';
import { outranks, requireCircle } from '../access.js';
import type { CircleApp } from '../app.js';
import { recordAudit } from '../audit/audit-store.js';
import { emitCircleUpdated } from '../circles/circle-events.js';
import { updateCircleRow } from '../circles/circle-store.js';
import type { CircleRow, MemberRow } from '../circles/circle-store.js';
import { circleView } from '../circles/circles.js';
import { memberMessage } from '../circles/circle-view.js';
import type { CircleDatabase } from '../db/schema.js';
import { toUserSummary } from '../users/user-store.js';
import { memberView } from './member-view.js';
import { deleteMember, lockMember, membersPage, setRole, setSafety } from './member-store.js';
import type { SafetyChanges } from './member-store.js';

type MemberMessage = MessageInitShape<typeof MemberSchema>;

/** ListMembers (members): OWNER and ADMINs first, then by join time. */
export async function listMembers(
  app: CircleApp,
  caller: SignedInCaller,
  req: {
    circleId: string;
    role: number;
    respondersOnly: boolean;
    pageSize: number;
    pageToken: string;
  },
) {
  const db = app.database.db;
  await requireCircle(db, caller.principal.userId, req.circleId, 'listMembers');
  const page = await membersPage(db, { ...req, codec: app.pageTokens });
  return {
    members: page.items.map((row) =>
      memberMessage(row, toUserSummary(row.user_id, row), BigInt(row.version ?? 0)),
    ),
    nextPageToken: page.nextPageToken,
  };
}

/**
 * Leave (a member; re-auth within the hour, so whoever holds the phone cannot cut its owner off
 * from their responders). The OWNER transfers ownership first. Publishes circle.member_left.
 */
export async function leave(app: CircleApp, caller: SignedInCaller, circleId: string) {
  const callerId = caller.principal.userId;
  await app.database.transaction(async (trx) => {
    const { membership } = await requireCircle(trx, callerId, circleId, 'leave', { lock: true });
    requireRecentAuth(caller.principal, caller.now);
    if (membership.role === CircleRole.OWNER) {
      throw new FailedPreconditionError('the owner transfers ownership before leaving');
    }
    await memberLeaves(app, trx, { circleId, userId: callerId, actorId: callerId, at: caller.now });
  });
}

/**
 * The member `userId` leaves (Leave, or their account's erasure, when `actorId` is null): the
 * row, the MEMBER_LEFT audit entry and circle.member_left. The caller holds the circle's lock.
 */
export async function memberLeaves(
  app: CircleApp,
  trx: Kysely<CircleDatabase>,
  input: { circleId: string; userId: string; actorId: string | null; at: Date },
): Promise<void> {
  const { circleId, userId } = input;
  const version = await deleteMember(trx, circleId, userId);
  if (version === undefined) return;
  await recordAudit(trx, {
    circleId,
    action: AuditAction.MEMBER_LEFT,
    actorId: input.actorId,
    targetId: userId,
    at: input.at,
  });
  await app.emit(trx, input.actorId, {
    case: 'circleMemberLeft',
    value: { circleId, userId, version },
  });
}

/**
 * The member `userId` an OWNER or ADMIN acts on: NotFound when not a member, InvalidArgument
 * for the caller themself, PermissionDenied unless the caller outranks them.
 */
export async function requireLowerMember(
  trx: Kysely<CircleDatabase>,
  circleId: string,
  actor: MemberRow,
  userId: string,
): Promise<MemberRow> {
  if (userId === actor.user_id) {
    throw new InvalidArgumentError([{ field: 'user_id', message: 'must be another member' }]);
  }
  const target = await lockMember(trx, circleId, userId);
  if (!target) throw new NotFoundError('member not found');
  if (!outranks(actor.role, target.role)) {
    throw new PermissionDeniedError('an admin acts only on members; nobody acts on the owner');
  }
  return target;
}

/**
 * RemoveMember (OWNER or ADMIN; an ADMIN cannot remove an ADMIN, nobody removes the OWNER).
 * They may rejoin. Publishes circle.member_removed with the reason.
 */
export async function removeMember(
  app: CircleApp,
  caller: SignedInCaller,
  req: { circleId: string; userId: string; reason: string },
) {
  const callerId = caller.principal.userId;
  await app.database.transaction(async (trx) => {
    const { membership } = await requireCircle(trx, callerId, req.circleId, 'removeMember', {
      lock: true,
    });
    await requireLowerMember(trx, req.circleId, membership, req.userId);
    await removeFromCircle(app, trx, {
      circleId: req.circleId,
      userId: req.userId,
      actorId: callerId,
      reason: req.reason,
      at: caller.now,
    });
  });
}

/** The audit details of a removal or ban: the reason given and when a ban ends, if set. */
export function removalDetails(reason: string, banExpiresAt: Date | null | undefined) {
  return {
    ...(reason && { reason }),
    ...(banExpiresAt && { banExpiresAt: banExpiresAt.toISOString() }),
  };
}

/**
 * Ends a membership an OWNER or ADMIN ended (RemoveMember, BanMember): the row, the audit
 * entry (MEMBER_REMOVED, or MEMBER_BANNED with the ban's end) and circle.member_removed.
 */
export async function removeFromCircle(
  app: CircleApp,
  trx: Kysely<CircleDatabase>,
  input: {
    circleId: string;
    userId: string;
    actorId: string;
    reason: string;
    at: Date;
    ban?: { expiresAt: Date | null };
  },
): Promise<void> {
  const version = (await deleteMember(trx, input.circleId, input.userId))!;
  const banExpiresAt = input.ban?.expiresAt ?? undefined;
  await recordAudit(trx, {
    circleId: input.circleId,
    action: input.ban ? AuditAction.MEMBER_BANNED : AuditAction.MEMBER_REMOVED,
    actorId: input.actorId,
    targetId: input.userId,
    details: removalDetails(input.reason, banExpiresAt),
    at: input.at,
  });
  await app.emit(trx, input.actorId, {
    case: 'circleMemberRemoved',
    value: {
      circleId: input.circleId,
      userId: input.userId,
      removedByUserId: input.actorId,
      banned: input.ban !== undefined,
      reason: input.reason,
      banExpiresAt: banExpiresAt ? timestampFromDate(banExpiresAt) : undefined,
      version,
    },
  });
}

/** Changes a member's role: the role, the audit entry and circle.role_changed; the new version. */
async function changeRole(
  app: CircleApp,
  trx: Kysely<CircleDatabase>,
  input: { circleId: string; actorId: string | null; target: MemberRow; role: number; at: Date },
): Promise<bigint> {
  const { circleId, target, role } = input;
  const version = await setRole(trx, circleId, target.user_id, role);
  await recordAudit(trx, {
    circleId,
    action:
      role === CircleRole.OWNER ? AuditAction.OWNERSHIP_TRANSFERRED : AuditAction.ROLE_CHANGED,
    actorId: input.actorId,
    targetId: target.user_id,
    details: { oldRole: target.role, newRole: role },
    at: input.at,
  });
  await app.emit(trx, input.actorId, {
    case: 'circleRoleChanged',
    value: { circleId, userId: target.user_id, oldRole: target.role, newRole: role, version },
  });
  return version;
}

/**
 * SetMemberRole (OWNER): makes a member ADMIN or MEMBER. The OWNER's own role moves only with
 * TransferOwnership. Setting the role a member has changes nothing.
 */
export async function setMemberRole(
  app: CircleApp,
  caller: SignedInCaller,
  req: { circleId: string; userId: string; role: number },
): Promise<MemberMessage> {
  const callerId = caller.principal.userId;
  return app.database.transaction(async (trx) => {
    await requireCircle(trx, callerId, req.circleId, 'setMemberRole', { lock: true });
    if (req.userId === callerId) {
      throw new FailedPreconditionError('the owner hands on the role with TransferOwnership');
    }
    const target = await lockMember(trx, req.circleId, req.userId);
    if (!target) throw new NotFoundError('member not found');
    if (target.role === req.role) {
      return memberView(trx, target);
    }
    const version = await changeRole(app, trx, {
      circleId: req.circleId,
      actorId: callerId,
      target,
      role: req.role,
      at: caller.now,
    });
    return memberView(trx, { ...target, role: req.role }, version);
  });
}

/**
 * Ownership passes from the OWNER `from` to the member `to` (TransferOwnership, or the erasure
 * of the OWNER's account, when `actorId` is null): `from` becomes ADMIN, then `to` OWNER
 * (circle.role_changed for each, in that order), then circle.updated. The caller holds the
 * circle's row lock. Answers the circle after the change.
 */
export async function handOverOwnership(
  app: CircleApp,
  trx: Kysely<CircleDatabase>,
  input: { circleId: string; from: string; to: MemberRow; actorId: string | null; at: Date },
): Promise<CircleRow> {
  const { circleId, from, to, actorId, at } = input;
  // The old owner steps down first: one OWNER at every moment (members_one_owner).
  const oldOwnerVersion = await setRole(trx, circleId, from, CircleRole.ADMIN);
  await app.emit(trx, actorId, {
    case: 'circleRoleChanged',
    value: {
      circleId,
      userId: from,
      oldRole: CircleRole.OWNER,
      newRole: CircleRole.ADMIN,
      version: oldOwnerVersion,
    },
  });
  await changeRole(app, trx, { circleId, actorId, target: to, role: CircleRole.OWNER, at });
  const updated = await updateCircleRow(trx, circleId, { owner_id: to.user_id }, at);
  await emitCircleUpdated(app, trx, actorId, updated, ['owner_id']);
  return updated;
}

/**
 * TransferOwnership (OWNER): `newOwnerId` becomes OWNER and the caller ADMIN, in that order of
 * events (circle.role_changed for both, then circle.updated). Concurrent transfers run one after
 * another on the circle's lock: the second finds its caller no longer OWNER.
 */
export async function transferOwnership(
  app: CircleApp,
  caller: SignedInCaller,
  req: { circleId: string; newOwnerId: string },
) {
  const callerId = caller.principal.userId;
  return app.database.transaction(async (trx) => {
    const { circle, membership } = await requireCircle(
      trx,
      callerId,
      req.circleId,
      'transferOwnership',
      { lock: true },
    );
    if (req.newOwnerId === callerId) return circleView(trx, circle, membership);
    const target = await lockMember(trx, req.circleId, req.newOwnerId);
    if (!target) throw new FailedPreconditionError('the new owner must be a member');
    const updated = await handOverOwnership(app, trx, {
      circleId: req.circleId,
      from: callerId,
      to: target,
      actorId: callerId,
      at: caller.now,
    });
    return circleView(trx, updated, { ...membership, role: CircleRole.ADMIN });
  });
}

const SAFETY_PATHS = ['responder', 'primary_contact', 'quiet_hours', 'quiet_hours_enabled'];

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The safety changes the masked fields make to `row`. */
function safetyChanges(row: MemberRow, safety: MemberSafety, paths: ReadonlySet<string>) {
  const changes: SafetyChanges = {};
  if (paths.has('responder') && safety.responder !== row.responder) {
    changes.responder = safety.responder;
  }
  if (paths.has('primary_contact') && safety.primaryContact !== row.primary_contact) {
    changes.primary_contact = safety.primaryContact;
  }
  if (paths.has('quiet_hours_enabled') && safety.quietHoursEnabled !== row.quiet_hours_enabled) {
    changes.quiet_hours_enabled = safety.quietHoursEnabled;
  }
  if (paths.has('quiet_hours')) {
    const w = safety.quietHours;
    const next = {
      quiet_start_minute: w ? w.startMinute : null,
      quiet_end_minute: w ? w.endMinute : null,
      quiet_time_zone: w ? w.timeZone : null,
    };
    if (
      next.quiet_start_minute !== row.quiet_start_minute ||
      next.quiet_end_minute !== row.quiet_end_minute ||
      next.quiet_time_zone !== row.quiet_time_zone
    ) {
      Object.assign(changes, next);
    }
  }
  return changes;
}

/**
 * SetMemberSafetyRole (any member, for themself): responder, primary contact, quiet hours.
 * Publishes circle.safety_role_changed when something changed.
 */
export async function setMemberSafetyRole(
  app: CircleApp,
  caller: SignedInCaller,
  req: { circleId: string; safety: MemberSafety; paths: readonly string[] },
): Promise<MemberMessage> {
  const callerId = caller.principal.userId;
  const paths = new Set(req.paths.filter((p) => SAFETY_PATHS.includes(p)));
  const zone = req.safety.quietHours?.timeZone;
  if (paths.has('quiet_hours') && zone !== undefined && !isTimeZone(zone)) {
    throw new InvalidArgumentError([
      { field: 'safety.quiet_hours.time_zone', message: 'must be an IANA time zone' },
    ]);
  }
  return app.database.transaction(async (trx) => {
    await requireCircle(trx, callerId, req.circleId, 'setOwnSafetyRole');
    const row = (await lockMember(trx, req.circleId, callerId))!;
    const changes = safetyChanges(row, req.safety, paths);
    if (Object.keys(changes).length === 0) {
      return memberView(trx, row);
    }
    const { member, version } = await setSafety(trx, req.circleId, callerId, changes);
    const view = await memberView(trx, member, version);
    await app.emit(trx, callerId, {
      case: 'circleSafetyRoleChanged',
      value: { circleId: req.circleId, userId: callerId, safety: view.safety, version },
    });
    return view;
  });
}
