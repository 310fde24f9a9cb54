import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { FailedPreconditionError, NotFoundError } from '@kith/errors';
import type { JoinRequestSchema } from '@kith/gen/kith/circle/v1/types_pb.js';
import {
  AuditAction,
  JoinRule,
  JoinVia,
  RequestStatus,
} from '@kith/gen/kith/circle/v1/types_pb.js';
import type { SignedInCaller } from '@kith/runtime';
import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { requireCircle } from '../access.js';
import type { CircleApp } from '../app.js';
import { recordAudit } from '../audit/audit-store.js';
import { isBanned } from '../bans/ban-store.js';
import { circleForMember, circlesByIds } from '../circles/circle-store.js';
import type { CircleRow } from '../circles/circle-store.js';
import { previewMessage } from '../circles/circle-view.js';
import type { CircleDatabase } from '../db/schema.js';
import { joinCircle, requireRoomFor } from '../members/join.js';
import { memberView } from '../members/member-view.js';
import { previewShownTo } from '../circles/circles.js';
import { summariesOf } from '../users/user-store.js';
import {
  circleRequestsPage,
  countPendingJoinRequests,
  deciders,
  decideJoinRequest,
  findJoinRequest,
  insertJoinRequest,
  myRequestsPage,
  pendingJoinRequest,
} from './request-store.js';
import type { JoinRequestRow } from './request-store.js';

/** Pending join requests one circle may hold at once. */
export const MAX_PENDING_JOIN_REQUESTS = 500;
/** circle.join_requested names at most this many deciders. */
const MAX_RECIPIENTS = 100;

type JoinRequestMessage = MessageInitShape<typeof JoinRequestSchema>;

/** Join requests as shown; the circle's preview in the requester's own views. */
export async function joinRequestMessages(
  db: Kysely<CircleDatabase>,
  rows: readonly JoinRequestRow[],
  options: { forRequester: boolean },
): Promise<JoinRequestMessage[]> {
  const [people, circles] = await Promise.all([
    summariesOf(
      db,
      rows.map((r) => r.requester_id),
    ),
    options.forRequester
      ? circlesByIds(
          db,
          rows.map((r) => r.circle_id),
        )
      : new Map<string, CircleRow>(),
  ]);
  return rows.map((row) => {
    const circle = circles.get(row.circle_id);
    return {
      joinRequestId: row.id,
      circleId: row.circle_id,
      requester: people.get(row.requester_id),
      message: row.message,
      inviteLinkId: row.invite_link_id ?? '',
      status: row.status,
      createdAt: timestampFromDate(row.created_at),
      circle:
        circle && !circle.deleted_at
          ? previewMessage(circle, {
              member: row.status === RequestStatus.ACCEPTED,
              pendingJoinRequestId: row.status === RequestStatus.PENDING ? row.id : '',
            })
          : undefined,
      decidedAt: row.decided_at ? timestampFromDate(row.decided_at) : undefined,
    };
  });
}

/**
 * Files a join request (the caller holds the circle's lock): the pending one is returned as
 * is; otherwise a new one, announced with circle.join_requested to the OWNER and ADMINs.
 */
export async function fileJoinRequest(
  app: CircleApp,
  trx: Kysely<CircleDatabase>,
  input: {
    circle: CircleRow;
    requesterId: string;
    message: string;
    inviteLinkId: string | null;
    now: Date;
  },
): Promise<{ row: JoinRequestRow; created: boolean }> {
  const { circle, requesterId, now } = input;
  if (await isBanned(trx, circle.id, requesterId, now)) {
    throw new FailedPreconditionError('banned from this circle');
  }
  const pending = await pendingJoinRequest(trx, circle.id, requesterId);
  if (pending) return { row: pending, created: false };
  if ((await countPendingJoinRequests(trx, circle.id)) >= MAX_PENDING_JOIN_REQUESTS) {
    throw new FailedPreconditionError('the circle has too many pending join requests; try later');
  }
  const row: JoinRequestRow = {
    id: uuidv7(),
    circle_id: circle.id,
    requester_id: requesterId,
    message: input.message,
    invite_link_id: input.inviteLinkId,
    status: RequestStatus.PENDING,
    created_at: now,
    decided_at: null,
  };
  await insertJoinRequest(trx, row);
  await app.emit(trx, requesterId, {
    case: 'circleJoinRequested',
    value: {
      joinRequestId: row.id,
      circleId: circle.id,
      requesterUserId: requesterId,
      inviteLinkId: input.inviteLinkId ?? '',
      recipientUserIds: await deciders(trx, circle.id, MAX_RECIPIENTS),
    },
  });
  return { row, created: true };
}

/**
 * RequestToJoin: anyone who may see the circle's preview (discoverable, not deleted or hidden
 * by moderation, no block with its OWNER; NotFound otherwise). FailedPrecondition for an
 * INVITE_ONLY circle, a member or a banned user. A pending request is returned as is.
 */
export async function requestToJoin(
  app: CircleApp,
  caller: SignedInCaller,
  req: { circleId: string; message: string },
): Promise<JoinRequestMessage> {
  const callerId = caller.principal.userId;
  return app.database.transaction(async (trx) => {
    const found = await circleForMember(trx, req.circleId, callerId, true);
    if (!found) throw new NotFoundError('circle not found');
    const { circle, membership } = found;
    if (membership) {
      if (circle.deleted_at) throw new NotFoundError('circle not found');
      throw new FailedPreconditionError('already a member');
    }
    if (!(await previewShownTo(trx, circle, callerId))) throw new NotFoundError('circle not found');
    if (circle.join_rule !== JoinRule.REQUEST) {
      throw new FailedPreconditionError('this circle takes members by invitation only');
    }
    const { row } = await fileJoinRequest(app, trx, {
      circle,
      requesterId: callerId,
      message: req.message,
      inviteLinkId: null,
      now: caller.now,
    });
    const [view] = await joinRequestMessages(trx, [row], { forRequester: true });
    return view!;
  });
}

/** WithdrawJoinRequest: the requester's own pending request (NotFound for anyone else's). */
export async function withdrawJoinRequest(
  app: CircleApp,
  caller: SignedInCaller,
  joinRequestId: string,
): Promise<void> {
  await app.database.transaction(async (trx) => {
    const row = await findJoinRequest(trx, joinRequestId, true);
    if (!row || row.requester_id !== caller.principal.userId) {
      throw new NotFoundError('join request not found');
    }
    if (row.status !== RequestStatus.PENDING) {
      throw new FailedPreconditionError('the join request is no longer pending');
    }
    await decideJoinRequest(trx, joinRequestId, RequestStatus.WITHDRAWN, caller.now);
  });
}

/** ListMyJoinRequests: the caller's requests, newest first, with each circle's preview. */
export async function listMyJoinRequests(
  app: CircleApp,
  caller: SignedInCaller,
  req: { includeInactive: boolean; pageSize: number; pageToken: string },
) {
  const db = app.database.db;
  const page = await myRequestsPage(db, {
    ...req,
    userId: caller.principal.userId,
    codec: app.pageTokens,
  });
  return {
    joinRequests: await joinRequestMessages(db, page.items, { forRequester: true }),
    nextPageToken: page.nextPageToken,
  };
}

/** ListJoinRequests (OWNER or ADMIN): the pending requests, oldest first. */
export async function listJoinRequests(
  app: CircleApp,
  caller: SignedInCaller,
  req: { circleId: string; pageSize: number; pageToken: string },
) {
  const db = app.database.db;
  await requireCircle(db, caller.principal.userId, req.circleId, 'manageJoinRequests');
  const page = await circleRequestsPage(db, { ...req, codec: app.pageTokens });
  return {
    joinRequests: await joinRequestMessages(db, page.items, { forRequester: false }),
    nextPageToken: page.nextPageToken,
  };
}

/**
 * The pending request `joinRequestId` an OWNER or ADMIN of its circle decides, with the
 * circle locked: NotFound for anyone who is not a member of that circle, PermissionDenied for
 * a MEMBER, FailedPrecondition when it is no longer pending.
 */
async function requireDecidable(
  trx: Kysely<CircleDatabase>,
  callerId: string,
  joinRequestId: string,
) {
  const peek = await findJoinRequest(trx, joinRequestId, false);
  if (!peek) throw new NotFoundError('join request not found');
  const access = await requireCircle(trx, callerId, peek.circle_id, 'manageJoinRequests', {
    lock: true,
  }).catch((err: unknown) => {
    throw err instanceof NotFoundError ? new NotFoundError('join request not found') : err;
  });
  const row = (await findJoinRequest(trx, joinRequestId, true))!;
  if (row.status !== RequestStatus.PENDING) {
    throw new FailedPreconditionError('the join request is no longer pending');
  }
  return { ...access, row };
}

/**
 * ApproveJoinRequest (OWNER or ADMIN): the requester joins (circle.member_joined via
 * JOIN_REQUEST, which notifies them). FailedPrecondition when the circle is full or the
 * requester was banned meanwhile.
 */
export async function approveJoinRequest(
  app: CircleApp,
  caller: SignedInCaller,
  joinRequestId: string,
) {
  const callerId = caller.principal.userId;
  const now = caller.now;
  return app.database.transaction(async (trx) => {
    const { circle, row } = await requireDecidable(trx, callerId, joinRequestId);
    const already = await circleForMember(trx, circle.id, row.requester_id, false);
    await decideJoinRequest(trx, joinRequestId, RequestStatus.ACCEPTED, now);
    if (already?.membership) {
      // Joined meanwhile by another path.
      return memberView(trx, already.membership);
    }
    await requireRoomFor(trx, circle, row.requester_id, now);
    await recordAudit(trx, {
      circleId: circle.id,
      action: AuditAction.JOIN_REQUEST_APPROVED,
      actorId: callerId,
      targetId: row.requester_id,
      details: { joinRequestId },
      at: now,
    });
    const joined = await joinCircle(app, trx, circle, {
      userId: row.requester_id,
      path: { via: JoinVia.JOIN_REQUEST, approvedBy: callerId, joinRequestId },
      now,
    });
    return memberView(trx, joined.membership, joined.version);
  });
}

/** RejectJoinRequest (OWNER or ADMIN): DECLINED; the requester is not notified. */
export async function rejectJoinRequest(
  app: CircleApp,
  caller: SignedInCaller,
  joinRequestId: string,
): Promise<void> {
  const callerId = caller.principal.userId;
  await app.database.transaction(async (trx) => {
    const { circle, row } = await requireDecidable(trx, callerId, joinRequestId);
    await decideJoinRequest(trx, joinRequestId, RequestStatus.DECLINED, caller.now);
    await recordAudit(trx, {
      circleId: circle.id,
      action: AuditAction.JOIN_REQUEST_REJECTED,
      actorId: callerId,
      targetId: row.requester_id,
      details: { joinRequestId },
      at: caller.now,
    });
  });
}
