import type { PostInternalService } from '@kith/gen/kith/post/v1/internal_pb.js';
import type { InternalClient } from '@kith/runtime';

/** Most ids one AuthorizeTopics request may name (AuthorizeTopicsRequest.ids). */
const MAX_IDS = 100;

/** Who may hold "post:<id>" topics, as the post service answers it. */
export interface PostTopics {
  /** Whether the user may read the post now; throws when the post service could not be asked. */
  allows(postId: string, userId: string): Promise<boolean>;
}

interface Batch {
  ids: Set<string>;
  allowed: Promise<Set<string>>;
}

/**
 * Asks PostInternalService.AuthorizeTopics (over the bus, with the client's timeout and circuit
 * breaker). The checks asked for one user in the same turn of the event loop (a Resume's post
 * topics, a re-check of every post topic a user holds on several sockets) share one request
 * per 100 ids.
 */
export function postTopics(
  posts: Pick<InternalClient<typeof PostInternalService>, 'authorizeTopics'>,
): PostTopics {
  const open = new Map<string, Batch>();

  function batchOf(userId: string): Batch {
    const held = open.get(userId);
    if (held) return held;
    const ids = new Set<string>();
    const allowed = Promise.resolve().then(async () => {
      // Closed: a later check starts the next batch.
      open.delete(userId);
      const all = [...ids];
      const answers = await Promise.all(
        Array.from({ length: Math.ceil(all.length / MAX_IDS) }, (_, i) =>
          posts.authorizeTopics({ userId, ids: all.slice(i * MAX_IDS, (i + 1) * MAX_IDS) }),
        ),
      );
      return new Set(answers.flatMap((a) => a.allowedIds));
    });
    const batch = { ids, allowed };
    open.set(userId, batch);
    return batch;
  }

  return {
    async allows(postId, userId) {
      const batch = batchOf(userId);
      batch.ids.add(postId);
      return (await batch.allowed).has(postId);
    },
  };
}
