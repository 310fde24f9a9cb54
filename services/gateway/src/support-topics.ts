import type { SupportInternalService } from '@kith/gen/kith/support/v1/internal_pb.js';
import type { InternalClient } from '@kith/runtime';
import { batchedTopicChecks } from './topic-checks.js';
import type { TopicChecks } from './topic-checks.js';

/** Who may hold an incident's two topics, as the support service answers it. */
export interface SupportTopics {
  /** "incident:<id>": the incident's owner only (AuthorizeTopics). */
  owner: TopicChecks;
  /** "responders:<id>": the users it alerted, never its owner (AuthorizeResponderTopics). */
  responder: TopicChecks;
}

/**
 * SupportInternalService's two topic checks, each batched per user and turn (topic-checks.ts).
 * Access to either topic never ends (an owner stays the owner after a cancel, real or duress;
 * an alerted user stays alerted), so they are asked at Subscribe and Resume only.
 */
export function supportTopics(
  support: Pick<
    InternalClient<typeof SupportInternalService>,
    'authorizeTopics' | 'authorizeResponderTopics'
  >,
): SupportTopics {
  return {
    owner: batchedTopicChecks((request) => support.authorizeTopics(request)),
    responder: batchedTopicChecks((request) => support.authorizeResponderTopics(request)),
  };
}
