import type { CircleMemberships } from '@kith/runtime';
import type { PostTopics } from './post-topics.js';
import type { Topic } from './routing/topics.js';

/** Whether a user may hold a topic: at Subscribe and Resume, and again on every live frame. */
export interface TopicAccess {
  /**
   * True when the user may subscribe; false when not (or the topic does not exist); throws when
   * the owning service could not be asked. Topics of services not served yet answer undefined.
   */
  allows(topic: Topic, userId: string): Promise<boolean | undefined>;
  /** From memory only: false once the user is known to have lost the topic, else true. */
  stillAllows(topic: Topic, userId: string): boolean;
}

/**
 * Circle topics are checked against the process's view of circle memberships (loaded from the
 * circle service, kept current by circle events). Post topics are asked of the post service
 * (AuthorizeTopics) at Subscribe and Resume, and again after the events that may end them
 * (access-watch.ts); between those, frames flow without asking. "incident:" and "responders:"
 * topics are served once the support service answers AuthorizeTopics.
 */
export function topicAccess(memberships: CircleMemberships, posts: PostTopics): TopicAccess {
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
        default:
          return undefined;
      }
    },
    stillAllows(topic, userId) {
      if (topic.kind !== 'circle') return true;
      // null: the view does not hold the circle right now (evicted); the frames say the rest.
      return memberships.peek(topic.id, userId) !== undefined;
    },
  };
}
