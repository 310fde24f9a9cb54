import type { MessageInitShape } from '@bufbuild/protobuf';
import { AbortedError, FailedPreconditionError, NotFoundError } from '@kith/errors';
import type {
  CreateCircleRequest,
  UpdateCircleRequest,
} from '@kith/gen/kith/circle/v1/circle_pb.js';
import {
  AuditAction,
  CircleDeletionReason,
  CircleModerationState,
  CircleRole,
  JoinVia,
} from '@kith/gen/kith/circle/v1/types_pb.js';
import type { CircleSchema, CircleRule } from '@kith/gen/kith/circle/v1/types_pb.js';
import { RuleScope } from '@kith/gen/kith/moderation/v1/rules_pb.js';
import { checkContentFailOpen, holdMedia, releaseMedia } from '@kith/runtime';
import type { SignedInCaller } from '@kith/runtime';
import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { requireCircle } from '../access.js';
import type { CircleApp } from '../app.js';
import { recordAudit } from '../audit/audit-store.js';
import { isBanned } from '../bans/ban-store.js';
import type { CircleDatabase, StoredRule } from '../db/schema.js';
import { expireCircleInvites } from '../invites/invite-store.js';
import { expireCircleJoinRequests, pendingJoinRequest } from '../requests/request-store.js';
import { addMember, newMembership } from '../members/member-store.js';
import { memberView } from '../members/member-view.js';
import { blockedEitherWay, summariesOf } from '../users/user-store.js';
import { emitCircleUpdated } from './circle-events.js';
import { circleForMember, insertCircle, myCirclesPage, updateCircleRow } from './circle-store.js';
import type { CircleChanges, CircleRow, MemberRow } from './circle-store.js';
import { circleMessage, memberMessage, previewMessage } from './circle-view.js';
import { avatarHold, releaseAvatarOnCommit } from './internal-clients.js';
import type { CircleClients } from './internal-clients.js';
import { requirePlainText } from './text.js';

export const REJECTED_BY_RULE = 'circle.rejected_by_rule';
/** How long a deleted circle can be restored (Circle.purge_at). */
export const RESTORE_WINDOW_MS = 30 * 24 * 60 * 60 * 1000;
const DEFAULT_MEMBER_CAP = 50;

type CircleMessage = MessageInitShape<typeof CircleSchema>;

const storedRules = (rules: readonly CircleRule[]): StoredRule[] =>
  rules.map((r) => ({ title: r.title, body: r.body }));

/** The circle as `membership`'s member sees it, with their summary and membership version. */
export async function circleView(
  trx: Kysely<CircleDatabase>,
  row: CircleRow,
  membership: MemberRow,
  options: { withRules: boolean } = { withRules: true },
): Promise<CircleMessage> {
  return circleMessage(row, await memberView(trx, membership), options);
}

/** Name and description pass moderation's pre-publication check (scope CIRCLE; fails open). */
async function checkCircleText(
  app: CircleApp,
  clients: CircleClients,
  authorId: string,
  texts: { name?: string | undefined; description?: string | undefined },
  circleId?: string,
): Promise<void> {
  const fields: { field: string; text: string }[] = [];
  if (texts.name) fields.push({ field: 'name', text: texts.name });
  if (texts.description) fields.push({ field: 'description', text: texts.description });
  await checkContentFailOpen(
    clients.moderation,
    app.logger,
    {
      authorId,
      scope: RuleScope.CIRCLE,
      fields,
      edited: circleId ? { kind: { case: 'circleId', value: circleId } } : undefined,
    },
    { fieldPrefix: '', ruleId: REJECTED_BY_RULE },
  );
}

/**
 * CreateCircle: the caller becomes its OWNER (circle.created, then the owner's
 * circle.member_joined). Texts are checked first; an avatar is held with post before the
 * circle is stored and released again when the creation fails.
 */
export async function createCircle(
  app: CircleApp,
  clients: CircleClients,
  caller: SignedInCaller,
  req: CreateCircleRequest,
): Promise<CircleMessage> {
  const ownerId = caller.principal.userId;
  const rules = storedRules(req.rules);
  requirePlainText({ name: req.name, description: req.description, rules });
  await checkCircleText(app, clients, ownerId, req);
  const circleId = uuidv7();
  const now = caller.now;
  const avatar = req.avatarMediaId
    ? {
        mediaId: req.avatarMediaId,
        url: await holdMedia(
          clients.post,
          avatarHold(ownerId, req.avatarMediaId, circleId),
          'avatar_media_id',
        ),
      }
    : undefined;
  try {
    return await app.database.transaction(async (trx) => {
      const row: CircleRow = {
        id: circleId,
        owner_id: ownerId,
        name: req.name,
        description: req.description,
        avatar_media_id: avatar?.mediaId ?? null,
        avatar_owner_id: avatar ? ownerId : null,
        avatar_url: avatar?.url ?? '',
        join_rule: req.joinRule,
        member_cap: req.memberCap || DEFAULT_MEMBER_CAP,
        discoverable: req.discoverable,
        member_count: 1,
        rules,
        rules_version: 1,
        version: '1',
        moderation_state: CircleModerationState.NONE,
        created_at: now,
        updated_at: now,
        active_at: now,
        deleted_at: null,
        purge_at: null,
      };
      await insertCircle(trx, row);
      const membership = newMembership(circleId, ownerId, CircleRole.OWNER, JoinVia.CREATED, now);
      const version = await addMember(trx, membership);
      await recordAudit(trx, {
        circleId,
        action: AuditAction.CIRCLE_CREATED,
        actorId: ownerId,
        at: now,
      });
      await app.emit(trx, ownerId, {
        case: 'circleCreated',
        value: {
          circleId,
          ownerId,
          name: row.name,
          description: row.description,
          avatarMediaId: row.avatar_media_id ?? '',
          joinRule: row.join_rule,
          memberCap: row.member_cap,
          discoverable: row.discoverable,
          version: 1n,
        },
      });
      await app.emit(trx, ownerId, {
        case: 'circleMemberJoined',
        value: {
          circleId,
          userId: ownerId,
          role: CircleRole.OWNER,
          joinedVia: JoinVia.CREATED,
          version,
        },
      });
      return circleView(trx, row, membership);
    });
  } catch (err) {
    if (avatar)
      await releaseMedia(clients.post, app.logger, avatarHold(ownerId, avatar.mediaId, circleId));
    throw err;
  }
}

/**
 * Whether a non-member may see the circle's preview (GetCircle) and ask to join it
 * (RequestToJoin): it is discoverable, neither deleted nor hidden by moderation, and no block
 * stands between the caller and its OWNER.
 */
export async function previewShownTo(
  db: Kysely<CircleDatabase>,
  circle: CircleRow,
  callerId: string,
): Promise<boolean> {
  return (
    circle.discoverable &&
    !circle.deleted_at &&
    circle.moderation_state === CircleModerationState.NONE &&
    !(await blockedEitherWay(db, circle.owner_id, callerId))
  );
}

/**
 * GetCircle: the circle with its rules for a member (its OWNER only while deleted); the preview
 * for a non-member when it is discoverable, visible (not deleted, not hidden by moderation), it
 * does not ban the caller and no block stands between the caller and its OWNER; NotFound
 * otherwise.
 */
export async function getCircle(app: CircleApp, caller: SignedInCaller, circleId: string) {
  const db = app.database.db;
  const callerId = caller.principal.userId;
  const found = await circleForMember(db, circleId, callerId, false);
  if (!found) throw new NotFoundError('circle not found');
  const { circle, membership } = found;
  if (membership) {
    if (circle.deleted_at && membership.role !== CircleRole.OWNER) {
      throw new NotFoundError('circle not found');
    }
    return { case: 'circle' as const, value: await circleView(db, circle, membership) };
  }
  if (
    !(await previewShownTo(db, circle, callerId)) ||
    (await isBanned(db, circle.id, callerId, caller.now))
  ) {
    throw new NotFoundError('circle not found');
  }
  const pending = await pendingJoinRequest(db, circle.id, callerId);
  return {
    case: 'preview' as const,
    value: previewMessage(circle, { member: false, pendingJoinRequestId: pending?.id ?? '' }),
  };
}

const UPDATABLE = [
  'name',
  'description',
  'avatar_media_id',
  'join_rule',
  'member_cap',
  'discoverable',
] as const;

/** The changes `req` makes to `row` among the masked fields (the avatar aside). */
function changesOf(row: CircleRow, req: UpdateCircleRequest, paths: ReadonlySet<string>) {
  const changes: CircleChanges = {};
  if (paths.has('name') && req.name !== row.name) changes.name = req.name;
  if (paths.has('description') && req.description !== row.description) {
    changes.description = req.description;
  }
  if (paths.has('join_rule') && req.joinRule !== row.join_rule) changes.join_rule = req.joinRule;
  if (paths.has('member_cap') && req.memberCap !== row.member_cap) {
    changes.member_cap = req.memberCap;
  }
  if (paths.has('discoverable') && req.discoverable !== row.discoverable) {
    changes.discoverable = req.discoverable;
  }
  return changes;
}

/**
 * UpdateCircle (OWNER or ADMIN): the masked fields. Lowering the cap below the member count
 * removes nobody. A change bumps the version and publishes circle.updated; a request that
 * changes nothing changes nothing. A new avatar is held before the change, the previous one
 * released after it.
 */
export async function updateCircle(
  app: CircleApp,
  clients: CircleClients,
  caller: SignedInCaller,
  req: UpdateCircleRequest,
): Promise<CircleMessage> {
  const callerId = caller.principal.userId;
  const paths = new Set(req.updateMask?.paths ?? []);
  const { circle: current } = await requireCircle(
    app.database.db,
    callerId,
    req.circleId,
    'updateCircle',
  );
  requirePlainText({
    name: paths.has('name') ? req.name : undefined,
    description: paths.has('description') ? req.description : undefined,
  });
  const textChanges = changesOf(current, req, paths);
  await checkCircleText(
    app,
    clients,
    callerId,
    { name: textChanges.name, description: textChanges.description },
    req.circleId,
  );
  const newAvatar = paths.has('avatar_media_id') ? req.avatarMediaId : undefined;
  const attached =
    newAvatar && newAvatar !== current.avatar_media_id
      ? {
          mediaId: newAvatar,
          url: await holdMedia(
            clients.post,
            avatarHold(callerId, newAvatar, req.circleId),
            'avatar_media_id',
          ),
        }
      : undefined;
  try {
    return await app.database.transaction(async (trx) => {
      const { circle, membership } = await requireCircle(
        trx,
        callerId,
        req.circleId,
        'updateCircle',
        {
          lock: true,
        },
      );
      const changes = changesOf(circle, req, paths);
      const previous = circle.avatar_media_id;
      if (newAvatar !== undefined && newAvatar !== (previous ?? '')) {
        if (newAvatar && attached?.mediaId !== newAvatar) {
          throw new AbortedError('the circle changed meanwhile; try again');
        }
        changes.avatar_media_id = newAvatar || null;
        changes.avatar_owner_id = newAvatar ? callerId : null;
        changes.avatar_url = attached?.url ?? '';
      }
      const changed = UPDATABLE.filter((field) => field in changes);
      if (changed.length === 0) return circleView(trx, circle, membership);
      if (changes.name !== undefined || changes.description !== undefined) {
        changes.search = {
          name: changes.name ?? circle.name,
          description: changes.description ?? circle.description,
        };
      }
      const updated = await updateCircleRow(trx, circle.id, changes, caller.now);
      await recordAudit(trx, {
        circleId: circle.id,
        action: AuditAction.CIRCLE_UPDATED,
        actorId: callerId,
        details: { changedFields: [...changed] },
        at: caller.now,
      });
      await emitCircleUpdated(app, trx, callerId, updated, [...changed]);
      if (changes.avatar_media_id !== undefined) releaseAvatarOnCommit(app, clients, trx, circle);
      return circleView(trx, updated, membership);
    });
  } catch (err) {
    if (attached) {
      await releaseMedia(
        clients.post,
        app.logger,
        avatarHold(callerId, attached.mediaId, req.circleId),
      );
    }
    throw err;
  }
}

/**
 * Deletes the circle softly, in the caller's transaction (which holds its lock): it disappears
 * for every member at once and is purged at purge_at unless restored first; its pending invites
 * and join requests end for good. Records CIRCLE_DELETED and publishes circle.deleted.
 */
export async function softDeleteCircle(
  app: CircleApp,
  trx: Kysely<CircleDatabase>,
  circleId: string,
  input: { actorId: string | null; reason: CircleDeletionReason; at: Date },
): Promise<CircleRow> {
  const { actorId, at } = input;
  const purgeAt = new Date(at.getTime() + RESTORE_WINDOW_MS);
  await expireCircleInvites(trx, circleId, at);
  await expireCircleJoinRequests(trx, circleId, at);
  const updated = await updateCircleRow(trx, circleId, { deleted_at: at, purge_at: purgeAt }, at);
  await recordAudit(trx, { circleId, action: AuditAction.CIRCLE_DELETED, actorId, at });
  await app.emit(trx, actorId, {
    case: 'circleDeleted',
    value: {
      circleId,
      deletedByUserId: actorId ?? '',
      purgeAt: { seconds: BigInt(Math.floor(purgeAt.getTime() / 1000)), nanos: 0 },
      version: BigInt(updated.version),
      reason: input.reason,
    },
  });
  return updated;
}

/**
 * Brings a deleted circle back as it was, in the caller's transaction (which holds its lock):
 * records CIRCLE_RESTORED and publishes circle.restored.
 */
export async function restoreCircleRow(
  app: CircleApp,
  trx: Kysely<CircleDatabase>,
  circleId: string,
  input: { actorId: string | null; at: Date },
): Promise<CircleRow> {
  const { actorId, at } = input;
  const updated = await updateCircleRow(trx, circleId, { deleted_at: null, purge_at: null }, at);
  await recordAudit(trx, { circleId, action: AuditAction.CIRCLE_RESTORED, actorId, at });
  await app.emit(trx, actorId, {
    case: 'circleRestored',
    value: { circleId, restoredByUserId: actorId ?? '', version: BigInt(updated.version) },
  });
  return updated;
}

/**
 * DeleteCircle (OWNER): soft (softDeleteCircle, reason OWNER); its OWNER can restore it until
 * purge_at.
 */
export async function deleteCircle(app: CircleApp, caller: SignedInCaller, circleId: string) {
  const callerId = caller.principal.userId;
  return app.database.transaction(async (trx) => {
    const { membership } = await requireCircle(trx, callerId, circleId, 'deleteCircle', {
      lock: true,
    });
    const updated = await softDeleteCircle(app, trx, circleId, {
      actorId: callerId,
      reason: CircleDeletionReason.OWNER,
      at: caller.now,
    });
    return circleView(trx, updated, membership);
  });
}

/**
 * RestoreCircle (its OWNER, before purge_at): everything comes back as it was. A circle removed
 * by platform moderation is restored only by a reversal (FailedPrecondition).
 */
export async function restoreCircle(app: CircleApp, caller: SignedInCaller, circleId: string) {
  const callerId = caller.principal.userId;
  return app.database.transaction(async (trx) => {
    const { circle, membership } = await requireCircle(trx, callerId, circleId, 'restoreCircle', {
      lock: true,
    });
    if (circle.purge_at && circle.purge_at <= caller.now)
      throw new NotFoundError('circle not found');
    if (circle.moderation_state === CircleModerationState.REMOVED) {
      throw new FailedPreconditionError(
        'the circle was removed by moderation; appeal to restore it',
      );
    }
    const updated = await restoreCircleRow(app, trx, circleId, {
      actorId: callerId,
      at: caller.now,
    });
    return circleView(trx, updated, membership);
  });
}

/** ListMyCircles: the caller's circles without their rules, most recently active first. */
export async function listMyCircles(
  app: CircleApp,
  caller: SignedInCaller,
  req: { pageSize: number; pageToken: string; includeDeleted: boolean },
) {
  const db = app.database.db;
  const userId = caller.principal.userId;
  // Two independent reads: over a pool they run side by side.
  const [page, summaries] = await Promise.all([
    myCirclesPage(db, { userId, ...req, codec: app.pageTokens }),
    summariesOf(db, [userId]),
  ]);
  const me = summaries.get(userId)!;
  return {
    circles: page.items.map((item) =>
      circleMessage(item.circle, memberMessage(item.membership, me, item.membershipVersion), {
        withRules: false,
      }),
    ),
    nextPageToken: page.nextPageToken,
  };
}

/**
 * SetCircleRules (OWNER or ADMIN): replaces the list when `baseVersion` is the current rules
 * version (Aborted otherwise, so a concurrent edit is never overwritten unseen).
 */
export async function setCircleRules(
  app: CircleApp,
  caller: SignedInCaller,
  req: { circleId: string; rules: readonly CircleRule[]; baseVersion: number },
) {
  const callerId = caller.principal.userId;
  const rules = storedRules(req.rules);
  requirePlainText({ rules });
  return app.database.transaction(async (trx) => {
    const { circle } = await requireCircle(trx, callerId, req.circleId, 'setRules', { lock: true });
    if (circle.rules_version !== req.baseVersion) {
      throw new AbortedError('the rules changed meanwhile; fetch the circle and reapply');
    }
    const updated = await updateCircleRow(trx, circle.id, { rules }, caller.now);
    await recordAudit(trx, {
      circleId: circle.id,
      action: AuditAction.RULES_CHANGED,
      actorId: callerId,
      details: { rulesVersion: updated.rules_version },
      at: caller.now,
    });
    await emitCircleUpdated(app, trx, callerId, updated, ['rules']);
    return { rules: updated.rules, rulesVersion: updated.rules_version };
  });
}
