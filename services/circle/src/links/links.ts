import crypto from 'node:crypto';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { FailedPreconditionError, NotFoundError } from '@kith/errors';
import type { InviteLinkSchema } from '@kith/gen/kith/circle/v1/types_pb.js';
import { AuditAction, CircleModerationState, JoinVia } from '@kith/gen/kith/circle/v1/types_pb.js';
import type { SignedInCaller } from '@kith/runtime';
import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { requireCircle } from '../access.js';
import type { CircleApp } from '../app.js';
import { recordAudit } from '../audit/audit-store.js';
import { circleForMember } from '../circles/circle-store.js';
import { previewMessage } from '../circles/circle-view.js';
import { circleView } from '../circles/circles.js';
import type { CircleDatabase } from '../db/schema.js';
import { joinCircle, requireRoomFor } from '../members/join.js';
import { fileJoinRequest, joinRequestMessages } from '../requests/requests.js';
import { pendingJoinRequest } from '../requests/request-store.js';
import {
  countWorkingLinks,
  findLink,
  insertLink,
  linkWorks,
  linksPage,
  updateLink,
  useLink,
} from './link-store.js';
import type { LinkChanges, LinkRow } from './link-store.js';

/** Working links one circle may have at once. */
export const MAX_LINKS = 100;

type LinkMessage = MessageInitShape<typeof InviteLinkSchema>;

export function linkMessage(app: CircleApp, row: LinkRow): LinkMessage {
  return {
    inviteLinkId: row.id,
    circleId: row.circle_id,
    code: row.code,
    url: `${app.linkBaseUrl}/join/${row.code}`,
    expiresAt: row.expires_at ? timestampFromDate(row.expires_at) : undefined,
    maxUses: row.max_uses,
    useCount: row.use_count,
    requireApproval: row.require_approval,
    createdByUserId: row.created_by,
    createdAt: timestampFromDate(row.created_at),
    revokedAt: row.revoked_at ? timestampFromDate(row.revoked_at) : undefined,
    disabled: row.disabled,
  };
}

/** CreateInviteLink (OWNER or ADMIN): a new code with optional expiry, use limit and approval. */
export async function createInviteLink(
  app: CircleApp,
  caller: SignedInCaller,
  req: {
    circleId: string;
    expiresInMs: number | undefined;
    maxUses: number;
    requireApproval: boolean;
  },
): Promise<LinkMessage> {
  const callerId = caller.principal.userId;
  const now = caller.now;
  return app.database.transaction(async (trx) => {
    await requireCircle(trx, callerId, req.circleId, 'manageInvites', { lock: true });
    if ((await countWorkingLinks(trx, req.circleId, now)) >= MAX_LINKS) {
      throw new FailedPreconditionError(
        `the circle has ${MAX_LINKS} working links; revoke some first`,
      );
    }
    const row: LinkRow = {
      id: uuidv7(),
      circle_id: req.circleId,
      // 128 bits, URL-safe: 22 characters.
      code: crypto.randomBytes(16).toString('base64url'),
      created_by: callerId,
      created_at: now,
      expires_at: req.expiresInMs === undefined ? null : new Date(now.getTime() + req.expiresInMs),
      max_uses: req.maxUses,
      use_count: 0,
      require_approval: req.requireApproval,
      disabled: false,
      revoked_at: null,
    };
    await insertLink(trx, row);
    await recordAudit(trx, {
      circleId: req.circleId,
      action: AuditAction.INVITE_LINK_CREATED,
      actorId: callerId,
      details: { inviteLinkId: row.id },
      at: now,
    });
    return linkMessage(app, row);
  });
}

/** The link `id` of a circle the caller runs (OWNER or ADMIN), locked after the circle. */
async function requireManagedLink(trx: Kysely<CircleDatabase>, callerId: string, id: string) {
  const peek = await findLink(trx, { id }, false);
  if (!peek) throw new NotFoundError('invite link not found');
  await requireCircle(trx, callerId, peek.circle_id, 'manageInvites', { lock: true }).catch(
    (err: unknown) => {
      throw err instanceof NotFoundError ? new NotFoundError('invite link not found') : err;
    },
  );
  return (await findLink(trx, { id }, true))!;
}

/**
 * UpdateInviteLink (OWNER or ADMIN): expiry (from now), use limit, approval, or paused and
 * enabled again. FailedPrecondition for a revoked link.
 */
export async function updateInviteLink(
  app: CircleApp,
  caller: SignedInCaller,
  req: {
    inviteLinkId: string;
    expiresInMs: number | undefined;
    maxUses: number;
    requireApproval: boolean;
    disabled: boolean;
    paths: readonly string[];
  },
): Promise<LinkMessage> {
  const callerId = caller.principal.userId;
  return app.database.transaction(async (trx) => {
    const link = await requireManagedLink(trx, callerId, req.inviteLinkId);
    if (link.revoked_at) throw new FailedPreconditionError('the link is revoked');
    const paths = new Set(req.paths);
    const changes: LinkChanges = {};
    if (paths.has('expires_in')) {
      changes.expires_at =
        req.expiresInMs === undefined ? null : new Date(caller.now.getTime() + req.expiresInMs);
    }
    if (paths.has('max_uses')) changes.max_uses = req.maxUses;
    if (paths.has('require_approval')) changes.require_approval = req.requireApproval;
    if (paths.has('disabled')) changes.disabled = req.disabled;
    if (Object.keys(changes).length === 0) return linkMessage(app, link);
    const row = await updateLink(trx, link.id, changes);
    await recordAudit(trx, {
      circleId: link.circle_id,
      action: AuditAction.INVITE_LINK_UPDATED,
      actorId: callerId,
      details: { inviteLinkId: link.id },
      at: caller.now,
    });
    return linkMessage(app, row);
  });
}

/** RevokeInviteLink (OWNER or ADMIN): for good; succeeds when already revoked. */
export async function revokeInviteLink(
  app: CircleApp,
  caller: SignedInCaller,
  inviteLinkId: string,
): Promise<void> {
  const callerId = caller.principal.userId;
  await app.database.transaction(async (trx) => {
    const link = await requireManagedLink(trx, callerId, inviteLinkId);
    if (link.revoked_at) return;
    await updateLink(trx, link.id, { revoked_at: caller.now });
    await recordAudit(trx, {
      circleId: link.circle_id,
      action: AuditAction.INVITE_LINK_REVOKED,
      actorId: callerId,
      details: { inviteLinkId: link.id },
      at: caller.now,
    });
  });
}

/** ListInviteLinks (OWNER or ADMIN): the links with their codes, newest first. */
export async function listInviteLinks(
  app: CircleApp,
  caller: SignedInCaller,
  req: { circleId: string; includeInactive: boolean; pageSize: number; pageToken: string },
) {
  const db = app.database.db;
  await requireCircle(db, caller.principal.userId, req.circleId, 'manageInvites');
  const page = await linksPage(db, { ...req, now: caller.now, codec: app.pageTokens });
  return {
    inviteLinks: page.items.map((row) => linkMessage(app, row)),
    nextPageToken: page.nextPageToken,
  };
}

/**
 * The circle behind a working code, and the caller's membership of it; `lock` takes the
 * circle's lock, then the link's. NotFound for an unknown, revoked, paused, expired or used-up
 * code, and for a deleted circle or one hidden by moderation.
 */
async function circleByCode(
  trx: Kysely<CircleDatabase>,
  code: string,
  callerId: string,
  now: Date,
  lock: boolean,
) {
  const peek = await findLink(trx, { code }, false);
  if (!peek) throw new NotFoundError('invite link not found');
  const found = await circleForMember(trx, peek.circle_id, callerId, lock);
  const link = lock ? (await findLink(trx, { code }, true))! : peek;
  if (
    !found ||
    found.circle.deleted_at ||
    found.circle.moderation_state !== CircleModerationState.NONE ||
    !linkWorks(link, now)
  ) {
    throw new NotFoundError('invite link not found');
  }
  return { ...found, link };
}

/** PreviewInviteLink: what a working code leads to, with the rules a member agrees to. */
export async function previewInviteLink(app: CircleApp, caller: SignedInCaller, code: string) {
  const callerId = caller.principal.userId;
  const db = app.database.db;
  const { circle, membership, link } = await circleByCode(db, code, callerId, caller.now, false);
  const pending = membership ? undefined : await pendingJoinRequest(db, circle.id, callerId);
  return {
    circle: previewMessage(circle, {
      member: membership !== undefined,
      pendingJoinRequestId: pending?.id ?? '',
    }),
    requireApproval: link.require_approval,
    rules: circle.rules,
  };
}

/**
 * JoinByLink: joins with a working code (circle.member_joined via INVITE_LINK), or files a join
 * request when the link requires approval. A member gets the circle back. FailedPrecondition
 * when the circle is full or the caller is banned. Each join or new request counts one use;
 * joins run one at a time on the circle's lock, so neither the cap nor max_uses is overrun.
 */
export async function joinByLink(
  app: CircleApp,
  caller: SignedInCaller,
  req: { code: string; message: string },
) {
  const callerId = caller.principal.userId;
  const now = caller.now;
  return app.database.transaction(async (trx) => {
    const { circle, membership, link } = await circleByCode(trx, req.code, callerId, now, true);
    if (membership) {
      return { case: 'circle' as const, value: await circleView(trx, circle, membership) };
    }
    if (link.require_approval) {
      const { row, created } = await fileJoinRequest(app, trx, {
        circle,
        requesterId: callerId,
        message: req.message,
        inviteLinkId: link.id,
        now,
      });
      if (created) await useLink(trx, link.id);
      const [view] = await joinRequestMessages(trx, [row], { forRequester: true });
      return { case: 'joinRequest' as const, value: view! };
    }
    await requireRoomFor(trx, circle, callerId, now);
    await useLink(trx, link.id);
    const joined = await joinCircle(app, trx, circle, {
      userId: callerId,
      path: { via: JoinVia.INVITE_LINK, inviteLinkId: link.id },
      now,
    });
    return {
      case: 'circle' as const,
      value: await circleView(trx, joined.circle, joined.membership),
    };
  });
}
