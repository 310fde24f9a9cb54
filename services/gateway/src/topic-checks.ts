/** Most ids one AuthorizeTopics-shaped request may name (post's and support's alike). */
const MAX_IDS = 100;

/** One owning service's answer to "may this user hold these topics?", one id at a time. */
export interface TopicChecks {
  /** Whether the user may hold the topic of `id` now; throws when the service could not be asked. */
  allows(id: string, userId: string): Promise<boolean>;
}

/** An AuthorizeTopics-shaped call: of `ids`, those `userId` may hold. */
export type AuthorizeIds = (request: {
  userId: string;
  ids: string[];
}) => Promise<{ allowedIds: string[] }>;

interface Batch {
  ids: Set<string>;
  allowed: Promise<Set<string>>;
}

/**
 * Asks an owning service's AuthorizeTopics-shaped method (over the bus, with the internal
 * client's timeout and circuit breaker). The checks asked for one user in the same turn of the
 * event loop (a Resume's topics, a re-check of every topic of a kind a user holds on several
 * sockets) share one request per 100 ids. Answers are not kept: each turn asks again.
 */
export function batchedTopicChecks(authorize: AuthorizeIds): TopicChecks {
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
          authorize({ userId, ids: all.slice(i * MAX_IDS, (i + 1) * MAX_IDS) }),
        ),
      );
      return new Set(answers.flatMap((a) => a.allowedIds));
    });
    const batch = { ids, allowed };
    open.set(userId, batch);
    return batch;
  }

  return {
    async allows(id, userId) {
      const batch = batchOf(userId);
      batch.ids.add(id);
      return (await batch.allowed).has(id);
    },
  };
}
