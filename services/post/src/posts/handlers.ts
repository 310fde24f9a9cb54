import type { ServiceImpl } from '@connectrpc/connect';
import type { PostService } from '@kith/gen/kith/post/v1/post_pb.js';
import { callerOf, signedInCaller } from '@kith/runtime';
import type { PostApp } from '../app.js';
import {
  bookmark,
  like,
  listBookmarks,
  listLikes,
  repost,
  unbookmark,
  unlike,
  unrepost,
} from '../engagement/engagement.js';
import type { PostClients } from '../internal-clients.js';
import { completeUpload, createUploadUrl, getMedia, updateMedia } from '../media/media.js';
import { getTrendingHashtags, searchPosts } from '../search/search.js';
import {
  getCircleTimeline,
  getHashtagTimeline,
  getHomeTimeline,
  getUserTimeline,
} from '../timelines/timelines.js';
import { createPost, deletePost, editPost, getPost, getPostHistory, getPosts } from './posts.js';
import { getThread, listReplies } from './threads.js';

/**
 * Posts, threads, engagement, timelines and search. The public methods (GetPost, GetThread,
 * the user and hashtag timelines) take anonymous callers; every other one needs a signed-in
 * caller. Retries of writes are deduplicated by the idempotency interceptor. Media: images
 * only for now (ADR 0019).
 */
export function postHandlers(
  app: PostApp,
  clients: PostClients,
): Partial<ServiceImpl<typeof PostService>> {
  return {
    async createPost(req, ctx) {
      return { post: await createPost(app, clients, signedInCaller(app, ctx), req) };
    },
    async getPost(req, ctx) {
      return { post: await getPost(app, callerOf(app, ctx), req.postId) };
    },
    async getPosts(req, ctx) {
      return { posts: await getPosts(app, signedInCaller(app, ctx), req.postIds) };
    },
    async editPost(req, ctx) {
      return { post: await editPost(app, clients, signedInCaller(app, ctx), req) };
    },
    async getPostHistory(req, ctx) {
      return getPostHistory(app, signedInCaller(app, ctx), req);
    },
    async deletePost(req, ctx) {
      await deletePost(app, signedInCaller(app, ctx), req.postId);
      return {};
    },
    async listReplies(req, ctx) {
      return listReplies(app, signedInCaller(app, ctx), req);
    },
    async getThread(req, ctx) {
      return getThread(app, callerOf(app, ctx), req);
    },
    async like(req, ctx) {
      return { likeCount: await like(app, signedInCaller(app, ctx), req.postId) };
    },
    async unlike(req, ctx) {
      return { likeCount: await unlike(app, signedInCaller(app, ctx), req.postId) };
    },
    async listLikes(req, ctx) {
      return listLikes(app, signedInCaller(app, ctx), req);
    },
    async bookmark(req, ctx) {
      await bookmark(app, signedInCaller(app, ctx), req.postId);
      return {};
    },
    async unbookmark(req, ctx) {
      await unbookmark(app, signedInCaller(app, ctx), req.postId);
      return {};
    },
    async listBookmarks(req, ctx) {
      return listBookmarks(app, signedInCaller(app, ctx), req);
    },
    async repost(req, ctx) {
      return { repostCount: await repost(app, signedInCaller(app, ctx), req.postId) };
    },
    async unrepost(req, ctx) {
      return { repostCount: await unrepost(app, signedInCaller(app, ctx), req.postId) };
    },
    async getHomeTimeline(req, ctx) {
      return getHomeTimeline(app, signedInCaller(app, ctx), req);
    },
    async getUserTimeline(req, ctx) {
      const { items, nextPageToken } = await getUserTimeline(app, callerOf(app, ctx), req);
      return { items, nextPageToken };
    },
    async getCircleTimeline(req, ctx) {
      return getCircleTimeline(app, signedInCaller(app, ctx), req);
    },
    async getHashtagTimeline(req, ctx) {
      const { items, nextPageToken } = await getHashtagTimeline(app, callerOf(app, ctx), req);
      return { items, nextPageToken };
    },
    async searchPosts(req, ctx) {
      return searchPosts(app, signedInCaller(app, ctx), req);
    },
    async getTrendingHashtags(req, ctx) {
      return getTrendingHashtags(app, signedInCaller(app, ctx), req.limit);
    },
    async createUploadUrl(req, ctx) {
      return createUploadUrl(app, signedInCaller(app, ctx), req);
    },
    async completeUpload(req, ctx) {
      return { media: await completeUpload(app, clients, signedInCaller(app, ctx), req) };
    },
    async getMedia(req, ctx) {
      return { media: await getMedia(app, callerOf(app, ctx), req.mediaId) };
    },
    async updateMedia(req, ctx) {
      return { media: await updateMedia(app, clients, signedInCaller(app, ctx), req) };
    },
  };
}
