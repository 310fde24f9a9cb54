import { durationMs } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import type { CircleService } from '@kith/gen/kith/circle/v1/circle_pb.js';
import { signedInCaller } from '@kith/runtime';
import type { CircleApp } from '../app.js';
import { listCircleAuditLog } from '../audit/audit.js';
import {
  leave,
  listMembers,
  removeMember,
  setMemberRole,
  setMemberSafetyRole,
  transferOwnership,
} from '../members/members.js';
import {
  createCircle,
  deleteCircle,
  getCircle,
  listMyCircles,
  restoreCircle,
  setCircleRules,
  updateCircle,
} from './circles.js';
import type { CircleClients } from './internal-clients.js';
import { banMember, listBans, unbanMember } from '../bans/bans.js';
import { hidePost, listHiddenPosts, unhidePost } from '../posts/hidden-posts.js';
import { searchCircles } from '../search/search.js';
import {
  createInviteLink,
  joinByLink,
  listInviteLinks,
  previewInviteLink,
  revokeInviteLink,
  updateInviteLink,
} from '../links/links.js';
import {
  approveJoinRequest,
  listJoinRequests,
  listMyJoinRequests,
  rejectJoinRequest,
  requestToJoin,
  withdrawJoinRequest,
} from '../requests/requests.js';
import {
  acceptInvite,
  declineInvite,
  inviteMember,
  listMyInvites,
  listSentInvites,
  revokeInvite,
} from '../invites/invites.js';

/**
 * Circles, members, roles, invites, links, join requests, bans, hidden posts and the audit
 * log. Every RPC needs a signed-in caller; retries are
 * deduplicated by the idempotency interceptor.
 */
export function circleHandlers(
  app: CircleApp,
  clients: CircleClients,
): Partial<ServiceImpl<typeof CircleService>> {
  return {
    async createCircle(req, ctx) {
      return { circle: await createCircle(app, clients, signedInCaller(app, ctx), req) };
    },
    async getCircle(req, ctx) {
      return { view: await getCircle(app, signedInCaller(app, ctx), req.circleId) };
    },
    async updateCircle(req, ctx) {
      return { circle: await updateCircle(app, clients, signedInCaller(app, ctx), req) };
    },
    async deleteCircle(req, ctx) {
      return { circle: await deleteCircle(app, signedInCaller(app, ctx), req.circleId) };
    },
    async restoreCircle(req, ctx) {
      return { circle: await restoreCircle(app, signedInCaller(app, ctx), req.circleId) };
    },
    async listMyCircles(req, ctx) {
      return listMyCircles(app, signedInCaller(app, ctx), req);
    },
    async setCircleRules(req, ctx) {
      return setCircleRules(app, signedInCaller(app, ctx), req);
    },
    async listMembers(req, ctx) {
      return listMembers(app, signedInCaller(app, ctx), req);
    },
    async leave(req, ctx) {
      await leave(app, signedInCaller(app, ctx), req.circleId);
      return {};
    },
    async removeMember(req, ctx) {
      await removeMember(app, signedInCaller(app, ctx), req);
      return {};
    },
    async setMemberRole(req, ctx) {
      return { member: await setMemberRole(app, signedInCaller(app, ctx), req) };
    },
    async transferOwnership(req, ctx) {
      return { circle: await transferOwnership(app, signedInCaller(app, ctx), req) };
    },
    async setMemberSafetyRole(req, ctx) {
      const caller = signedInCaller(app, ctx);
      return {
        member: await setMemberSafetyRole(app, caller, {
          circleId: req.circleId,
          // Required by the contract, so validation has refused a request without them.
          safety: req.safety!,
          paths: req.updateMask?.paths ?? [],
        }),
      };
    },
    async inviteMember(req, ctx) {
      return { invite: await inviteMember(app, signedInCaller(app, ctx), req) };
    },
    async revokeInvite(req, ctx) {
      return { invite: await revokeInvite(app, signedInCaller(app, ctx), req.inviteId) };
    },
    async acceptInvite(req, ctx) {
      return { circle: await acceptInvite(app, signedInCaller(app, ctx), req.inviteId) };
    },
    async declineInvite(req, ctx) {
      await declineInvite(app, signedInCaller(app, ctx), req.inviteId);
      return {};
    },
    async listSentInvites(req, ctx) {
      return listSentInvites(app, signedInCaller(app, ctx), req);
    },
    async listMyInvites(req, ctx) {
      return listMyInvites(app, signedInCaller(app, ctx), req);
    },
    async banMember(req, ctx) {
      const caller = signedInCaller(app, ctx);
      const ban = await banMember(app, caller, {
        circleId: req.circleId,
        userId: req.userId,
        reason: req.reason,
        durationMs: req.duration ? durationMs(req.duration) : undefined,
      });
      return { ban };
    },
    async unbanMember(req, ctx) {
      await unbanMember(app, signedInCaller(app, ctx), req);
      return {};
    },
    async listBans(req, ctx) {
      return listBans(app, signedInCaller(app, ctx), req);
    },
    async createInviteLink(req, ctx) {
      const inviteLink = await createInviteLink(app, signedInCaller(app, ctx), {
        circleId: req.circleId,
        expiresInMs: req.expiresIn ? durationMs(req.expiresIn) : undefined,
        maxUses: req.maxUses,
        requireApproval: req.requireApproval,
      });
      return { inviteLink };
    },
    async updateInviteLink(req, ctx) {
      const inviteLink = await updateInviteLink(app, signedInCaller(app, ctx), {
        inviteLinkId: req.inviteLinkId,
        expiresInMs: req.expiresIn ? durationMs(req.expiresIn) : undefined,
        maxUses: req.maxUses,
        requireApproval: req.requireApproval,
        disabled: req.disabled,
        paths: req.updateMask?.paths ?? [],
      });
      return { inviteLink };
    },
    async listInviteLinks(req, ctx) {
      return listInviteLinks(app, signedInCaller(app, ctx), req);
    },
    async revokeInviteLink(req, ctx) {
      await revokeInviteLink(app, signedInCaller(app, ctx), req.inviteLinkId);
      return {};
    },
    async previewInviteLink(req, ctx) {
      return previewInviteLink(app, signedInCaller(app, ctx), req.code);
    },
    async joinByLink(req, ctx) {
      return { result: await joinByLink(app, signedInCaller(app, ctx), req) };
    },
    async requestToJoin(req, ctx) {
      return { joinRequest: await requestToJoin(app, signedInCaller(app, ctx), req) };
    },
    async withdrawJoinRequest(req, ctx) {
      await withdrawJoinRequest(app, signedInCaller(app, ctx), req.joinRequestId);
      return {};
    },
    async listMyJoinRequests(req, ctx) {
      return listMyJoinRequests(app, signedInCaller(app, ctx), req);
    },
    async listJoinRequests(req, ctx) {
      return listJoinRequests(app, signedInCaller(app, ctx), req);
    },
    async approveJoinRequest(req, ctx) {
      return { member: await approveJoinRequest(app, signedInCaller(app, ctx), req.joinRequestId) };
    },
    async rejectJoinRequest(req, ctx) {
      await rejectJoinRequest(app, signedInCaller(app, ctx), req.joinRequestId);
      return {};
    },
    async searchCircles(req, ctx) {
      return searchCircles(app, signedInCaller(app, ctx), req);
    },
    async hidePost(req, ctx) {
      return { hiddenPost: await hidePost(app, clients, signedInCaller(app, ctx), req) };
    },
    async unhidePost(req, ctx) {
      await unhidePost(app, signedInCaller(app, ctx), req);
      return {};
    },
    async listHiddenPosts(req, ctx) {
      return listHiddenPosts(app, signedInCaller(app, ctx), req);
    },
    async listCircleAuditLog(req, ctx) {
      return listCircleAuditLog(app, signedInCaller(app, ctx), req);
    },
  };
}
