import { defineService, rpc as rpcOf } from '@kith/runtime';
import { CircleAdminService } from '@kith/gen/kith/circle/v1/circle_admin_pb.js';
import { CircleService } from '@kith/gen/kith/circle/v1/circle_pb.js';

const rpc = (method: keyof typeof CircleService.method) => rpcOf(CircleService, method);

/**
 * What an API key may call here: reads need `circles:read`, changes `circles:write`.
 * ListInviteLinks needs `circles:write`, because its codes let anyone join: it takes what
 * creating a link takes. Five RPCs stay with a signed-in session: Leave (re-auth within the
 * last hour, which a key has not), DeleteCircle and RestoreCircle (a leaked key must not
 * destroy a circle), TransferOwnership (nor give it away), and SetMemberSafetyRole (it decides
 * who learns of an SOS or a help request, like the escalation ladder in support).
 * CircleAdminService is staff-only and never reachable by a key.
 */
const apiKeyScopes = {
  [rpc('getCircle')]: 'circles:read',
  [rpc('listMyCircles')]: 'circles:read',
  [rpc('searchCircles')]: 'circles:read',
  [rpc('listMembers')]: 'circles:read',
  [rpc('listSentInvites')]: 'circles:read',
  [rpc('listMyInvites')]: 'circles:read',
  [rpc('previewInviteLink')]: 'circles:read',
  [rpc('listMyJoinRequests')]: 'circles:read',
  [rpc('listJoinRequests')]: 'circles:read',
  [rpc('listBans')]: 'circles:read',
  [rpc('listHiddenPosts')]: 'circles:read',
  [rpc('listCircleAuditLog')]: 'circles:read',
  [rpc('createCircle')]: 'circles:write',
  [rpc('updateCircle')]: 'circles:write',
  [rpc('inviteMember')]: 'circles:write',
  [rpc('revokeInvite')]: 'circles:write',
  [rpc('acceptInvite')]: 'circles:write',
  [rpc('declineInvite')]: 'circles:write',
  [rpc('createInviteLink')]: 'circles:write',
  [rpc('updateInviteLink')]: 'circles:write',
  [rpc('listInviteLinks')]: 'circles:write',
  [rpc('revokeInviteLink')]: 'circles:write',
  [rpc('joinByLink')]: 'circles:write',
  [rpc('requestToJoin')]: 'circles:write',
  [rpc('withdrawJoinRequest')]: 'circles:write',
  [rpc('approveJoinRequest')]: 'circles:write',
  [rpc('rejectJoinRequest')]: 'circles:write',
  [rpc('removeMember')]: 'circles:write',
  [rpc('banMember')]: 'circles:write',
  [rpc('unbanMember')]: 'circles:write',
  [rpc('setMemberRole')]: 'circles:write',
  [rpc('setCircleRules')]: 'circles:write',
  [rpc('hidePost')]: 'circles:write',
  [rpc('unhidePost')]: 'circles:write',
} as const;

/** Circles, memberships, roles, invitations and join requests (its own issue). */
export const circleModule = defineService({
  name: 'circle',
  services: [CircleService, CircleAdminService],
  // Staff RPCs refuse everyone else before their requests are even validated.
  requiredRoles: { [CircleAdminService.typeName]: 'admin' },
  apiKeyScopes,
  migrations: {},
  create: () => ({}),
});
