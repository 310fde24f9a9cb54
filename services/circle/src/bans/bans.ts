import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { InvalidArgumentError, NotFoundError } from '@kith/errors';
import type { BanSchema } from '@kith/gen/kith/circle/v1/types_pb.js';
import { AuditAction } from '@kith/gen/kith/circle/v1/types_pb.js';
import type { SignedInCaller } from '@kith/runtime';
import type { Kysely } from 'kysely';
import { requireCircle } from '../access.js';
import type { CircleApp } from '../app.js';
import { recordAudit } from '../audit/audit-store.js';
import type { CircleDatabase } from '../db/schema.js';
import { lockMember } from '../members/member-store.js';
import { removalDetails, removeFromCircle, requireLowerMember } from '../members/members.js';
import { summariesOf, userKnown } from '../users/user-store.js';
import { bansPage, deleteBan, expiredBans, upsertBan } from './ban-store.js';
import type { BanRow } from './ban-store.js';

type BanMessage = MessageInitShape<typeof BanSchema>;

async function banMessages(
  db: Kysely<CircleDatabase>,
  rows: readonly BanRow[],
): Promise<BanMessage[]> {
  const people = await summariesOf(
    db,
    rows.map((r) => r.user_id),
  );
  return rows.map((row) => ({
    user: people.get(row.user_id),
    reason: row.reason,
    bannedByUserId: row.banned_by ?? '',
    createdAt: timestampFromDate(row.created_at),
    expiresAt: row.expires_at ? timestampFromDate(row.expires_at) : undefined,
  }));
}

/**
 * BanMember (OWNER or ADMIN, with RemoveMember's rank rules for a member): removes the user
 * when they are a member (circle.member_removed, banned) and keeps them out by every path until
 * the ban ends. A non-member may be banned ahead; banning again replaces the reason and end.
 */
export async function banMember(
  app: CircleApp,
  caller: SignedInCaller,
  req: { circleId: string; userId: string; reason: string; durationMs: number | undefined },
): Promise<BanMessage> {
  const callerId = caller.principal.userId;
  const now = caller.now;
  return app.database.transaction(async (trx) => {
    const { membership } = await requireCircle(trx, callerId, req.circleId, 'manageBans', {
      lock: true,
    });
    if (req.userId === callerId) {
      throw new InvalidArgumentError([{ field: 'user_id', message: 'must be another user' }]);
    }
    const expiresAt =
      req.durationMs === undefined ? null : new Date(now.getTime() + req.durationMs);
    const target = await lockMember(trx, req.circleId, req.userId);
    if (target) {
      await requireLowerMember(trx, req.circleId, membership, req.userId);
      await removeFromCircle(app, trx, {
        circleId: req.circleId,
        userId: req.userId,
        actorId: callerId,
        reason: req.reason,
        at: now,
        ban: { expiresAt },
      });
    } else {
      if (!(await userKnown(trx, req.userId))) throw new NotFoundError('user not found');
      await recordAudit(trx, {
        circleId: req.circleId,
        action: AuditAction.MEMBER_BANNED,
        actorId: callerId,
        targetId: req.userId,
        details: removalDetails(req.reason, expiresAt),
        at: now,
      });
    }
    const row = await upsertBan(trx, {
      circle_id: req.circleId,
      user_id: req.userId,
      reason: req.reason,
      banned_by: callerId,
      created_at: now,
      expires_at: expiresAt,
    });
    const [ban] = await banMessages(trx, [row]);
    return ban!;
  });
}

/** UnbanMember (OWNER or ADMIN): lifts the ban; succeeds when there is none. */
export async function unbanMember(
  app: CircleApp,
  caller: SignedInCaller,
  req: { circleId: string; userId: string },
): Promise<void> {
  const callerId = caller.principal.userId;
  await app.database.transaction(async (trx) => {
    await requireCircle(trx, callerId, req.circleId, 'manageBans', { lock: true });
    if (await deleteBan(trx, req.circleId, req.userId)) {
      await recordAudit(trx, {
        circleId: req.circleId,
        action: AuditAction.MEMBER_UNBANNED,
        actorId: callerId,
        targetId: req.userId,
        at: caller.now,
      });
    }
  });
}

/** ListBans (OWNER or ADMIN): the bans in force, newest first. */
export async function listBans(
  app: CircleApp,
  caller: SignedInCaller,
  req: { circleId: string; pageSize: number; pageToken: string },
) {
  const db = app.database.db;
  await requireCircle(db, caller.principal.userId, req.circleId, 'manageBans');
  const page = await bansPage(db, { ...req, now: caller.now, codec: app.pageTokens });
  return { bans: await banMessages(db, page.items), nextPageToken: page.nextPageToken };
}

/** Lifts bans past their end (MEMBER_UNBANNED without an actor); how many. */
export async function liftExpiredBans(app: CircleApp): Promise<number> {
  const now = app.clock();
  return app.database.transaction(async (trx) => {
    const rows = await expiredBans(trx, now, 100);
    for (const row of rows) {
      await deleteBan(trx, row.circle_id, row.user_id);
      await recordAudit(trx, {
        circleId: row.circle_id,
        action: AuditAction.MEMBER_UNBANNED,
        actorId: null,
        targetId: row.user_id,
        at: now,
      });
    }
    return rows.length;
  });
}
