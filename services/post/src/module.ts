import { defineService, rpc as rpcOf } from '@kith/runtime';
import { PostAdminService } from '@kith/gen/kith/post/v1/post_admin_pb.js';
import { PostService } from '@kith/gen/kith/post/v1/post_pb.js';

type PostMethod = keyof typeof PostService.method;

const rpc = (method: PostMethod) => rpcOf(PostService, method);

/**
 * Callable without credentials; they answer public-audience content only to an anonymous
 * caller (the access rule on each RPC in post.proto).
 */
const publicMethods = [
  rpc('getPost'),
  rpc('getThread'),
  rpc('getUserTimeline'),
  rpc('getHashtagTimeline'),
  rpc('getMedia'),
];

/**
 * What an API key may call here: post and media reads with `posts:read`, writes with
 * `posts:write`. A Record over every PostService method, so a new RPC fails to compile until
 * it is given a scope here.
 */
const scopeByMethod: Record<PostMethod, 'posts:read' | 'posts:write'> = {
  getPost: 'posts:read',
  getPosts: 'posts:read',
  getPostHistory: 'posts:read',
  listReplies: 'posts:read',
  getThread: 'posts:read',
  listLikes: 'posts:read',
  listBookmarks: 'posts:read',
  getHomeTimeline: 'posts:read',
  getUserTimeline: 'posts:read',
  getCircleTimeline: 'posts:read',
  getHashtagTimeline: 'posts:read',
  searchPosts: 'posts:read',
  getTrendingHashtags: 'posts:read',
  getMedia: 'posts:read',
  createPost: 'posts:write',
  editPost: 'posts:write',
  deletePost: 'posts:write',
  like: 'posts:write',
  unlike: 'posts:write',
  bookmark: 'posts:write',
  unbookmark: 'posts:write',
  repost: 'posts:write',
  unrepost: 'posts:write',
  createUploadUrl: 'posts:write',
  completeUpload: 'posts:write',
  updateMedia: 'posts:write',
};

const apiKeyScopes = Object.fromEntries(
  (Object.keys(scopeByMethod) as PostMethod[]).map((method) => [
    rpc(method),
    scopeByMethod[method],
  ]),
);

/**
 * Posts, threads, likes, bookmarks, reposts, timelines, search and media (its own issue).
 * PostInternalService (internal.proto) is NATS request/reply only and never served here.
 */
export const postModule = defineService({
  name: 'post',
  services: [PostService, PostAdminService],
  publicMethods,
  requiredRoles: { [PostAdminService.typeName]: 'admin' },
  apiKeyScopes,
  migrations: {},
  create: () => ({}),
});
