import { defineService } from '@kith/runtime';
import { PostService } from '@kith/gen/kith/post/v1/post_pb.js';

/** Posts, threads, likes, bookmarks, reposts, timelines, search and media (its own issue). */
export const postModule = defineService({
  name: 'post',
  services: [PostService],
  migrations: {},
  create: () => ({}),
});
