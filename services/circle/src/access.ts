import { CircleRole } from '@kith/gen/kith/circle/v1/types_pb.js';
import { FailedPreconditionError, NotFoundError, PermissionDeniedError } from '@kith/errors';
import type { Kysely } from 'kysely';

import { circleForMember } from './circles/circle-store.js';
import type { CircleRow, CirclesDb, MemberRow } from './circles/circle-store.js';

/**
 * The circle's whole permission table: the least role each action needs. OWNER ⊃ ADMIN ⊃
 * MEMBER (CircleRole in types.proto). A non-member is never in it: every action on a circle
 * the caller does not belong to answers NotFound; a member below the role answers
 * PermissionDenied.
 */
export const PERMISSIONS = {
  readCircle: CircleRole.MEMBER,
  listMembers: CircleRole.MEMBER,
  setOwnSafetyRole: CircleRole.MEMBER,
  leave: CircleRole.MEMBER,
  updateCircle: CircleRole.ADMIN,
  setRules: CircleRole.ADMIN,
  removeMember: CircleRole.ADMIN,
  manageBans: CircleRole.ADMIN,
  manageInvites: CircleRole.ADMIN,
  manageJoinRequests: CircleRole.ADMIN,
  readAuditLog: CircleRole.ADMIN,
  /** HidePost, UnhidePost, ListHiddenPosts; whose posts: mayHidePostOf. */
  hidePosts: CircleRole.ADMIN,
  setMemberRole: CircleRole.OWNER,
  transferOwnership: CircleRole.OWNER,
  deleteCircle: CircleRole.OWNER,
  restoreCircle: CircleRole.OWNER,
} as const satisfies Record<string, CircleRole>;

export type CircleAction = keyof typeof PERMISSIONS;

const RANK: Record<number, number> = {
  [CircleRole.OWNER]: 3,
  [CircleRole.ADMIN]: 2,
  [CircleRole.MEMBER]: 1,
};

export const rankOf = (role: number): number => RANK[role] ?? 0;

const ROLE_NAME: Record<number, string> = {
  [CircleRole.OWNER]: 'OWNER',
  [CircleRole.ADMIN]: 'ADMIN',
  [CircleRole.MEMBER]: 'MEMBER',
};

/**
 * Whether a member of `actorRole` may act on a member of `targetRole` (remove, ban, hide their
 * posts): only on a lower rank. An ADMIN never acts on the OWNER or another ADMIN.
 */
export function outranks(actorRole: number, targetRole: number): boolean {
  return rankOf(actorRole) > rankOf(targetRole);
}

/**
 * Whether a member of `actorRole` may hide (or unhide) a post whose author has `authorRole` in
 * the circle (0 when the author is no longer a member): the OWNER any post, their own too; an
 * ADMIN only a MEMBER's or a former member's, never the OWNER's, another ADMIN's or their own.
 */
export function mayHidePostOf(actorRole: number, authorRole: number): boolean {
  return actorRole === CircleRole.OWNER || outranks(actorRole, authorRole);
}

export interface CircleAccess {
  circle: CircleRow;
  membership: MemberRow;
}

/**
 * The circle and the caller's membership when the caller may take `action` on it. NotFound for
 * an unknown circle, a non-member, and for everyone but its OWNER while it is deleted; the
 * OWNER of a deleted circle gets FailedPrecondition except for `restoreCircle`. PermissionDenied for a member below the action's role. `lock` takes the
 * circle's row lock first, so membership changes of one circle run one after another.
 */
export async function requireCircle(
  db: Kysely<CirclesDb>,
  callerId: string,
  circleId: string,
  action: CircleAction,
  options: { lock?: boolean } = {},
): Promise<CircleAccess> {
  const found = await circleForMember(db, circleId, callerId, options.lock ?? false);
  if (!found?.membership) throw new NotFoundError('circle not found');
  const { circle, membership } = found;
  if (circle.deleted_at) {
    if (membership.role !== CircleRole.OWNER) throw new NotFoundError('circle not found');
    if (action !== 'restoreCircle') {
      throw new FailedPreconditionError('the circle is deleted; restore it first');
    }
  }
  if (action === 'restoreCircle') {
    // Nobody but the OWNER learns that a circle can be restored.
    if (membership.role !== CircleRole.OWNER) throw new NotFoundError('circle not found');
    if (!circle.deleted_at) throw new FailedPreconditionError('the circle is not deleted');
  }
  const needed = PERMISSIONS[action];
  if (rankOf(membership.role) < rankOf(needed)) {
    throw new PermissionDeniedError(`needs the ${ROLE_NAME[needed]} role in this circle`);
  }
  return { circle, membership };
}
