import { durationMs } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import type { UserService } from '@kith/gen/kith/user/v1/user_pb.js';
import { signedInCaller } from '@kith/runtime';
import type { UserApp } from '../app.js';
import { block, listBlocks, unblock } from './blocks.js';
import { listFollowEdges, listFollowRequests } from './follow-lists.js';
import {
  acceptFollowRequest,
  follow,
  rejectFollowRequest,
  removeFollower,
  unfollow,
} from './follows.js';
import { listMutes, mute, unmute } from './mutes.js';
import { getRelationships } from './relationships.js';

/**
 * The social graph's RPCs: follows, follow requests, blocks, mutes and relationships. Every one
 * needs a signed-in caller; retries are deduplicated by the idempotency interceptor.
 */
export function graphHandlers(app: UserApp): Partial<ServiceImpl<typeof UserService>> {
  return {
    async follow(req, ctx) {
      return { relationship: await follow(app, signedInCaller(app, ctx), req.userId) };
    },
    async unfollow(req, ctx) {
      return { relationship: await unfollow(app, signedInCaller(app, ctx), req.userId) };
    },
    async removeFollower(req, ctx) {
      return { relationship: await removeFollower(app, signedInCaller(app, ctx), req.userId) };
    },
    async listFollowers(req, ctx) {
      const page = await listFollowEdges(app, signedInCaller(app, ctx), 'followers', req);
      return { followers: page.entries, nextPageToken: page.nextPageToken };
    },
    async listFollowing(req, ctx) {
      const page = await listFollowEdges(app, signedInCaller(app, ctx), 'following', req);
      return { following: page.entries, nextPageToken: page.nextPageToken };
    },
    async listFollowRequests(req, ctx) {
      return listFollowRequests(app, signedInCaller(app, ctx), req);
    },
    async acceptFollowRequest(req, ctx) {
      const caller = signedInCaller(app, ctx);
      return { relationship: await acceptFollowRequest(app, caller, req.userId) };
    },
    async rejectFollowRequest(req, ctx) {
      const caller = signedInCaller(app, ctx);
      return { relationship: await rejectFollowRequest(app, caller, req.userId) };
    },
    async block(req, ctx) {
      return { relationship: await block(app, signedInCaller(app, ctx), req.userId) };
    },
    async unblock(req, ctx) {
      return { relationship: await unblock(app, signedInCaller(app, ctx), req.userId) };
    },
    async listBlocks(req, ctx) {
      return listBlocks(app, signedInCaller(app, ctx), req);
    },
    async mute(req, ctx) {
      const relationship = await mute(app, signedInCaller(app, ctx), {
        userId: req.userId,
        durationMs: req.duration ? durationMs(req.duration) : undefined,
        includeNotifications: req.includeNotifications,
      });
      return { relationship };
    },
    async unmute(req, ctx) {
      return { relationship: await unmute(app, signedInCaller(app, ctx), req.userId) };
    },
    async listMutes(req, ctx) {
      return listMutes(app, signedInCaller(app, ctx), req);
    },
    async getRelationships(req, ctx) {
      const caller = signedInCaller(app, ctx);
      return { relationships: await getRelationships(app, caller, req.userIds) };
    },
  };
}
