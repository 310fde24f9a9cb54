import type { CircleMemberships } from '@kith/runtime';
import type { PostTopics } from './post-topics.js';
import type { Topic } from './routing/topics.js';
import type { SupportTopics } from './support-topics.js';

/** Whether a user may hold a topic: at Subscribe and Resume, and again on every live frame. */
export interface TopicAccess {
  /**
   * True when the user may subscribe; false when not (or the topic does not exist); throws when
   * the owning service could not be asked.
   */
  allows(topic: Topic, userId: string): Promise<boolean>;
  /** From memory only: false once the user is known to have lost the topic, else true. */
  stillAllows(topic: Topic, userId: string): boolean;
}

/**
 * Circle topics are checked against the process's view of circle memberships (loaded from the
 * circle service, kept current by circle events). Post topics are asked of the post service
 * (AuthorizeTopics) at Subscribe and Resume, and again after the events that may end them
 * (access-watch.ts); between those, frames flow without asking. "incident:" (its owner) and
 * "responders:" (the alerted) are asked of the support service at Subscribe and Resume only:
 * neither access ever ends.
 */
export function topicAccess(
  memberships: CircleMemberships,
  posts: PostTopics,
  support: SupportTopics,
): TopicAccess {
  return {
    async allows(topic, userId) {
      switch (topic.kind) {
        case 'user':
        case 'notifications':
          // The name carries no id: a user can only ever name their own.
          return topic.id === userId;
        case 'circle':
          return (await memberships.roleOf(topic.id, userId)) !== undefined;
        case 'post':
          return posts.allows(topic.id, userId);
        case 'incident':
          return support.owner.allows(topic.id, userId);
        case 'responders':
          return support.responder.allows(topic.id, userId);
      }
    },
    stillAllows(topic, userId) {
      if (topic.kind !== 'circle') return true;
      // null: the view does not hold the circle right now (evicted); the frames say the rest.
      return memberships.peek(topic.id, userId) !== undefined;
    },
  };
}
