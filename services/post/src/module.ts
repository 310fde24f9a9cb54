import {
  defineService,
  exportBucketDir,
  filesystemBlobStorage,
  implement,
  periodicDaemon,
  rpc as rpcOf,
} from '@kith/runtime';
import type { ServiceContext, ServiceParts } from '@kith/runtime';
import { loadEnv } from '@kith/config';
import { PostAdminService } from '@kith/gen/kith/post/v1/post_admin_pb.js';
import { PostService } from '@kith/gen/kith/post/v1/post_pb.js';
import { createPostApp } from './app.js';
import { onExportRequested, onUserErased } from './data/data.js';
import type { PostApp } from './app.js';
import type { PostDatabase } from './db/schema.js';
import { postInternalService } from './internal/internal.js';
import { postClients } from './internal-clients.js';
import type { PostClients } from './internal-clients.js';
import { purgeUnheldMedia } from './media/media.js';
import { mediaTranscoder } from './media/transcoder.js';
import { watchPostChanges } from './posts/anonymous-cache.js';
import { postMigrations } from './migrations/index.js';
import { postHandlers } from './posts/handlers.js';
import { purgeExpiredPosts } from './posts/expiry.js';
import { postProjections } from './projections/index.js';
import { postsFromModeration } from './projections/moderation.js';
import { homeFanOut, timelineEnvSchema } from './timelines/fan-out.js';

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

/** How often posts past their expires_at are purged. */
export const EXPIRY_EVERY_MS = 30_000;
/** How often media nothing holds (24 h on) is looked for and purged. */
export const MEDIA_PURGE_EVERY_MS = 10 * 60_000;

/** The post parts, and the app they were built from (tests reach its database). */
export type PostParts = ServiceParts<PostDatabase> & { app: PostApp };

/** Builds the post service. Tests may stand in for the services it asks (`clients`). */
export function createPostParts(
  ctx: ServiceContext<PostDatabase>,
  overrides: { clients?: PostClients } = {},
): PostParts {
  const app = createPostApp(ctx);
  const clients = overrides.clients ?? postClients(app);
  // Committed changes to posts drop their cached signed-out answers.
  watchPostChanges(app);
  return {
    app,
    handlers: [implement(PostService, postHandlers(app, clients))],
    consumers: [
      ...postProjections(app),
      postsFromModeration(app),
      homeFanOut(app, loadEnv(timelineEnvSchema, ctx.env).POST_FANOUT_MAX_FOLLOWERS),
      onUserErased(app),
      onExportRequested(app, filesystemBlobStorage(exportBucketDir(ctx))),
    ],
    daemons: [
      postInternalService(app),
      periodicDaemon({
        name: 'post-expiry',
        everyMs: EXPIRY_EVERY_MS,
        run: async () => {
          const purged = await purgeExpiredPosts(app);
          if (purged > 0) app.logger.info({ purged }, 'purged expired posts');
        },
        onError: (err) => app.logger.error({ err }, 'post expiry failed'),
      }),
      mediaTranscoder(app),
      periodicDaemon({
        name: 'post-media-purge',
        everyMs: MEDIA_PURGE_EVERY_MS,
        run: async () => {
          const purged = await purgeUnheldMedia(app);
          if (purged > 0) app.logger.info({ purged }, 'purged unheld media');
        },
        onError: (err) => app.logger.error({ err }, 'media purge failed'),
      }),
    ],
    // The local media store's signed upload and download links (none for S3).
    http: app.media.storage?.http ?? {},
  };
}

/**
 * Posts, replies, threads, likes, bookmarks, reposts, timelines and search, with visibility
 * read from post's projections of users, the graph and circles; PostInternalService on the bus
 * (never served here). Media uploaded to the local store (its links served by this process) or
 * S3: images processed inline (ADR 0019), GIF, video and audio by the transcoding worker (ADR
 * 0022); unheld media purged after 24 h.
 * PostAdminService answers Unimplemented.
 */
export const postModule = defineService<PostDatabase>({
  name: 'post',
  services: [PostService, PostAdminService],
  publicMethods,
  requiredRoles: { [PostAdminService.typeName]: 'admin' },
  apiKeyScopes,
  migrations: postMigrations,
  create: (ctx) => createPostParts(ctx),
});
