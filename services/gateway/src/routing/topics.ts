// Topics as clients name them ("user", "circle:<uuid>", …) and as the replay store keys them
// ("user.<user id>", "circle.<uuid>", …): the caller's own topics carry no id on the socket, so
// the store key adds the user's.

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** Subscribe.topic's rule in realtime.proto. */
const CLIENT_TOPIC = new RegExp(
  `^(user|notifications|(circle|post|incident|responders):(${UUID}))$`,
);

export type TopicKind = 'user' | 'notifications' | 'circle' | 'post' | 'incident' | 'responders';

export interface Topic {
  kind: TopicKind;
  /** The name on the socket. */
  name: string;
  /** The replay store's key (dot-separated), also the live subject's tail. */
  key: string;
  /** The circle, post or incident id; the user's own id for "user" and "notifications". */
  id: string;
}

/** The topic a client named, for `userId`; undefined when the name breaks the rule. */
export function parseClientTopic(name: string, userId: string): Topic | undefined {
  const match = CLIENT_TOPIC.exec(name);
  if (!match) return undefined;
  if (match[2] === undefined) {
    const kind = match[1] as 'user' | 'notifications';
    return { kind, name, key: `${kind}.${userId}`, id: userId };
  }
  const kind = match[2] as TopicKind;
  return { kind, name, key: `${kind}.${match[3]}`, id: match[3]! };
}

/** A user's own topic ("user" or "notifications") as the frames it carries are addressed. */
export function ownTopic(kind: 'user' | 'notifications', userId: string): Topic {
  return { kind, name: kind, key: `${kind}.${userId}`, id: userId };
}

export function circleTopic(circleId: string): Topic {
  return { kind: 'circle', name: `circle:${circleId}`, key: `circle.${circleId}`, id: circleId };
}

export function postTopic(postId: string): Topic {
  return { kind: 'post', name: `post:${postId}`, key: `post.${postId}`, id: postId };
}

/** An incident as its owner sees it. */
export function incidentTopic(incidentId: string): Topic {
  return {
    kind: 'incident',
    name: `incident:${incidentId}`,
    key: `incident.${incidentId}`,
    id: incidentId,
  };
}

/** The same incident as the people it alerted see it (never its owner). */
export function respondersTopic(incidentId: string): Topic {
  return {
    kind: 'responders',
    name: `responders:${incidentId}`,
    key: `responders.${incidentId}`,
    id: incidentId,
  };
}

/** The live subject a store key's frames are fanned out on, once stored. */
export function liveSubjectOf(key: string): string {
  return `kith.live.realtime.${key}`;
}
