import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { FailedPreconditionError, NotFoundError } from '@kith/errors';
import type { InviteSchema } from '@kith/gen/kith/circle/v1/types_pb.js';
import {
  AuditAction,
  CircleRole,
  JoinVia,
  RequestStatus,
} from '@kith/gen/kith/circle/v1/types_pb.js';
import type { SignedInCaller } from '@kith/runtime';
import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { rankOf, requireCircle } from '../access.js';
import type { CircleApp } from '../app.js';
import { recordAudit } from '../audit/audit-store.js';
import { isBanned } from '../bans/ban-store.js';
import { circleForMember, circlesByIds } from '../circles/circle-store.js';
import { previewMessage } from '../circles/circle-view.js';
import { circleView } from '../circles/circles.js';
import type { CircleDatabase } from '../db/schema.js';
import { joinCircle, requireRoomFor } from '../members/join.js';
import { blockedEitherWay, summariesOf, userKnown } from '../users/user-store.js';
import {
  countPending,
  decideInvite,
  findInvite,
  insertInvite,
  myInvitesPage,
  pendingInvite,
  sentInvitesPage,
  statusAt,
} from './invite-store.js';
import type { InviteRow } from './invite-store.js';

/** How long a direct invite waits for an answer. */
export const INVITE_TTL_MS = 14 * 24 * 60 * 60 * 1000;
/** Pending invites one circle may have at once (the largest cap is 500 members). */
export const MAX_PENDING_INVITES = 500;

type InviteMessage = MessageInitShape<typeof InviteSchema>;

/** Invites as shown; the invitee's summary only to the circle's OWNER and ADMINs. */
async function inviteMessages(
  db: Kysely<CircleDatabase>,
  rows: readonly InviteRow[],
  options: { now: Date; withInvitee: boolean; viewerId: string },
): Promise<InviteMessage[]> {
  const [circles, people] = await Promise.all([
    circlesByIds(
      db,
      rows.map((r) => r.circle_id),
    ),
    summariesOf(
      db,
      rows.flatMap((r) => [r.inviter_id, r.invitee_id]),
    ),
  ]);
  return rows.map((row) => {
    const circle = circles.get(row.circle_id);
    return {
      inviteId: row.id,
      circle: circle
        ? previewMessage(circle, { member: row.invitee_id !== options.viewerId })
        : undefined,
      inviter: people.get(row.inviter_id),
      inviteeId: row.invitee_id,
      message: row.message,
      status: statusAt(row, options.now),
      createdAt: timestampFromDate(row.created_at),
      expiresAt: timestampFromDate(row.expires_at),
      invitee: options.withInvitee ? people.get(row.invitee_id) : undefined,
    };
  });
}

/**
 * InviteMember (OWNER or ADMIN). NotFound for a user circle does not know or when either of
 * the two blocks the other (the block stays hidden); FailedPrecondition when the user is
 * already a member. A pending invite to the same user is returned as is. Publishes
 * circle.invite_created: the invitee is notified.
 */
export async function inviteMember(
  app: CircleApp,
  caller: SignedInCaller,
  req: { circleId: string; userId: string; message: string },
): Promise<InviteMessage> {
  const callerId = caller.principal.userId;
  const now = caller.now;
  return app.database.transaction(async (trx) => {
    await requireCircle(trx, callerId, req.circleId, 'manageInvites', { lock: true });
    if (
      !(await userKnown(trx, req.userId)) ||
      (await blockedEitherWay(trx, callerId, req.userId))
    ) {
      throw new NotFoundError('user not found');
    }
    const found = await circleForMember(trx, req.circleId, req.userId, false);
    if (found?.membership) throw new FailedPreconditionError('the user is already a member');
    if (await isBanned(trx, req.circleId, req.userId, now)) {
      throw new FailedPreconditionError('the user is banned from this circle');
    }
    let row = await pendingInvite(trx, req.circleId, req.userId, now);
    if (!row) {
      if ((await countPending(trx, req.circleId, now)) >= MAX_PENDING_INVITES) {
        throw new FailedPreconditionError(
          `the circle has ${MAX_PENDING_INVITES} pending invites; revoke some first`,
        );
      }
      row = {
        id: uuidv7(),
        circle_id: req.circleId,
        inviter_id: callerId,
        invitee_id: req.userId,
        message: req.message,
        status: RequestStatus.PENDING,
        created_at: now,
        expires_at: new Date(now.getTime() + INVITE_TTL_MS),
        decided_at: null,
      };
      await insertInvite(trx, row);
      await recordAudit(trx, {
        circleId: req.circleId,
        action: AuditAction.INVITE_SENT,
        actorId: callerId,
        targetId: req.userId,
        details: { inviteId: row.id },
        at: now,
      });
      await app.emit(trx, callerId, {
        case: 'circleInviteCreated',
        value: {
          inviteId: row.id,
          circleId: req.circleId,
          inviterUserId: callerId,
          inviteeUserId: req.userId,
          expiresAt: timestampFromDate(row.expires_at),
        },
      });
    }
    const [view] = await inviteMessages(trx, [row], { now, withInvitee: true, viewerId: callerId });
    return view!;
  });
}

/** The invite `inviteId` when `userId` is its invitee (NotFound otherwise), locked. */
async function requireOwnInvite(
  trx: Kysely<CircleDatabase>,
  inviteId: string,
  userId: string,
): Promise<InviteRow> {
  const row = await findInvite(trx, inviteId, true);
  if (!row || row.invitee_id !== userId) throw new NotFoundError('invite not found');
  return row;
}

const requirePending = (row: InviteRow, now: Date) => {
  if (statusAt(row, now) !== RequestStatus.PENDING) {
    throw new FailedPreconditionError('the invite is no longer pending');
  }
};

/**
 * AcceptInvite (the invitee): joins the circle as a MEMBER (circle.member_joined, via INVITE).
 * FailedPrecondition when the invite is no longer pending or the circle is full.
 */
export async function acceptInvite(app: CircleApp, caller: SignedInCaller, inviteId: string) {
  const callerId = caller.principal.userId;
  const now = caller.now;
  return app.database.transaction(async (trx) => {
    // The circle's lock first, as every membership change takes it; then the invite's.
    const peek = await findInvite(trx, inviteId, false);
    if (!peek || peek.invitee_id !== callerId) throw new NotFoundError('invite not found');
    const found = await circleForMember(trx, peek.circle_id, callerId, true);
    if (!found || found.circle.deleted_at) throw new NotFoundError('invite not found');
    const invite = await requireOwnInvite(trx, inviteId, callerId);
    requirePending(invite, now);
    const { circle } = found;
    if (found.membership) {
      // Joined meanwhile by another path: the invite is spent, the circle is theirs to read.
      await decideInvite(trx, inviteId, RequestStatus.ACCEPTED, now);
      return circleView(trx, circle, found.membership);
    }
    await requireRoomFor(trx, circle, callerId, now);
    await decideInvite(trx, inviteId, RequestStatus.ACCEPTED, now);
    const joined = await joinCircle(app, trx, circle, {
      userId: callerId,
      path: { via: JoinVia.INVITE, invitedBy: invite.inviter_id, inviteId },
      now,
    });
    return circleView(trx, joined.circle, joined.membership);
  });
}

/** DeclineInvite (the invitee; the inviter is not told). */
export async function declineInvite(app: CircleApp, caller: SignedInCaller, inviteId: string) {
  await app.database.transaction(async (trx) => {
    const invite = await requireOwnInvite(trx, inviteId, caller.principal.userId);
    requirePending(invite, caller.now);
    await decideInvite(trx, inviteId, RequestStatus.DECLINED, caller.now);
  });
}

/**
 * RevokeInvite: its inviter, or an OWNER or ADMIN of the circle (NotFound for anyone else).
 * FailedPrecondition when it is no longer pending. The invite is WITHDRAWN.
 */
export async function revokeInvite(
  app: CircleApp,
  caller: SignedInCaller,
  inviteId: string,
): Promise<InviteMessage> {
  const callerId = caller.principal.userId;
  return app.database.transaction(async (trx) => {
    const invite = await findInvite(trx, inviteId, true);
    if (!invite) throw new NotFoundError('invite not found');
    const found = await circleForMember(trx, invite.circle_id, callerId, false);
    const role = found?.membership?.role ?? 0;
    const mayRevoke =
      found &&
      !found.circle.deleted_at &&
      found.membership &&
      (invite.inviter_id === callerId || rankOf(role) >= rankOf(CircleRole.ADMIN));
    if (!mayRevoke) throw new NotFoundError('invite not found');
    requirePending(invite, caller.now);
    const row = await decideInvite(trx, inviteId, RequestStatus.WITHDRAWN, caller.now);
    await recordAudit(trx, {
      circleId: invite.circle_id,
      action: AuditAction.INVITE_REVOKED,
      actorId: callerId,
      targetId: invite.invitee_id,
      details: { inviteId },
      at: caller.now,
    });
    const [view] = await inviteMessages(trx, [row], {
      now: caller.now,
      withInvitee: true,
      viewerId: callerId,
    });
    return view!;
  });
}

/** ListSentInvites (OWNER or ADMIN): the circle's invites, newest first, with the invitee. */
export async function listSentInvites(
  app: CircleApp,
  caller: SignedInCaller,
  req: { circleId: string; includeInactive: boolean; pageSize: number; pageToken: string },
) {
  const db = app.database.db;
  const callerId = caller.principal.userId;
  await requireCircle(db, callerId, req.circleId, 'manageInvites');
  const page = await sentInvitesPage(db, { ...req, now: caller.now, codec: app.pageTokens });
  return {
    invites: await inviteMessages(db, page.items, {
      now: caller.now,
      withInvitee: true,
      viewerId: callerId,
    }),
    nextPageToken: page.nextPageToken,
  };
}

/** ListMyInvites: the caller's pending invites, newest first, with each circle's preview. */
export async function listMyInvites(
  app: CircleApp,
  caller: SignedInCaller,
  req: { pageSize: number; pageToken: string },
) {
  const db = app.database.db;
  const userId = caller.principal.userId;
  const page = await myInvitesPage(db, { ...req, userId, now: caller.now, codec: app.pageTokens });
  return {
    invites: await inviteMessages(db, page.items, {
      now: caller.now,
      withInvitee: false,
      viewerId: userId,
    }),
    nextPageToken: page.nextPageToken,
  };
}
