import type { PostInternalService } from '@kith/gen/kith/post/v1/internal_pb.js';
import type { InternalClient } from '@kith/runtime';
import { batchedTopicChecks } from './topic-checks.js';
import type { TopicChecks } from './topic-checks.js';

/** Who may hold "post:<id>" topics, as the post service answers it. */
export type PostTopics = TopicChecks;

/** PostInternalService.AuthorizeTopics, batched per user and turn (topic-checks.ts). */
export function postTopics(
  posts: Pick<InternalClient<typeof PostInternalService>, 'authorizeTopics'>,
): PostTopics {
  return batchedTopicChecks((request) => posts.authorizeTopics(request));
}
