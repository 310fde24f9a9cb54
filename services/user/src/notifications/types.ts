import { NotificationType } from '@kith/gen/kith/user/v1/notification_pb.js';

/** Every real notification type (UNSPECIFIED left out), in enum order. */
export const EVERY_TYPE: readonly NotificationType[] = Object.values(NotificationType)
  .filter((v): v is NotificationType => typeof v === 'number' && v !== NotificationType.UNSPECIFIED)
  .sort((a, b) => a - b);

/**
 * Delivered whatever happens: they ignore quiet hours, preferences, the policy, mutes and blocks,
 * and their in-app and push channels cannot be turned off.
 */
export const ALWAYS_DELIVERED: ReadonlySet<NotificationType> = new Set([
  NotificationType.SOS,
  NotificationType.DURESS_ALERT,
  NotificationType.CHECK_IN_REMINDER,
]);

/**
 * An incident and its circle: the circle, not a block, sets who hears of a help request and its
 * follow-ups (UserService block rules), so blocks do not suppress these. Mutes still do.
 */
export const BLOCKS_DO_NOT_APPLY: ReadonlySet<NotificationType> = new Set([
  NotificationType.HELP_REQUEST,
  NotificationType.CHECK_IN_MISSED,
  NotificationType.CHECK_IN_REQUESTED,
  NotificationType.SUPPORT_ACKNOWLEDGED,
  NotificationType.SUPPORT_RESPONSE,
  NotificationType.SUPPORT_RESOLVED,
  NotificationType.SUPPORT_CLAIMED,
  NotificationType.SUPPORT_NOTE,
]);

/** Social notifications from other users: the notification policy (accept, filter, drop) applies. */
export const POLICY_APPLIES: ReadonlySet<NotificationType> = new Set([
  NotificationType.FOLLOW,
  NotificationType.FOLLOW_REQUEST,
  NotificationType.FOLLOW_REQUEST_ACCEPTED,
  NotificationType.MENTION,
  NotificationType.REPLY,
  NotificationType.QUOTE,
  NotificationType.LIKE,
  NotificationType.REPOST,
  NotificationType.CIRCLE_INVITE,
  NotificationType.CIRCLE_JOIN_REQUEST,
]);

/** Likes, reposts and follows of one subject within 12 h form one group. */
export const GROUPED: ReadonlySet<NotificationType> = new Set([
  NotificationType.LIKE,
  NotificationType.REPOST,
  NotificationType.FOLLOW,
]);
export const GROUP_WINDOW_MS = 12 * 60 * 60 * 1000;

/** Pushes that break through Focus and silent mode (APNs critical alerts). */
export const CRITICAL: ReadonlySet<NotificationType> = new Set([
  NotificationType.SOS,
  NotificationType.DURESS_ALERT,
]);

/** Pushes the OS delivers at once even in a summary (APNs time-sensitive): support alerts. */
export const TIME_SENSITIVE: ReadonlySet<NotificationType> = new Set([
  NotificationType.HELP_REQUEST,
  NotificationType.CHECK_IN_MISSED,
  NotificationType.CHECK_IN_REMINDER,
  NotificationType.CHECK_IN_REQUESTED,
]);

/**
 * Push title and body, plain text. They name at most the actor's public handle: never a post's
 * text, a message or anything else of another user's that a lock screen would show.
 */
export const PUSH_TEXT: Record<
  NotificationType,
  (actor: string) => { title: string; body: string }
> = {
  [NotificationType.UNSPECIFIED]: () => ({ title: 'Kith', body: 'You have a new notification' }),
  [NotificationType.FOLLOW]: (a) => ({ title: 'New follower', body: `${a} followed you` }),
  [NotificationType.FOLLOW_REQUEST]: (a) => ({
    title: 'Follow request',
    body: `${a} asked to follow you`,
  }),
  [NotificationType.FOLLOW_REQUEST_ACCEPTED]: (a) => ({
    title: 'Follow request accepted',
    body: `${a} accepted your follow request`,
  }),
  [NotificationType.MENTION]: (a) => ({ title: 'Mention', body: `${a} mentioned you` }),
  [NotificationType.REPLY]: (a) => ({ title: 'Reply', body: `${a} replied to your post` }),
  [NotificationType.QUOTE]: (a) => ({ title: 'Quote', body: `${a} quoted your post` }),
  [NotificationType.LIKE]: (a) => ({ title: 'Like', body: `${a} liked your post` }),
  [NotificationType.REPOST]: (a) => ({ title: 'Repost', body: `${a} reposted your post` }),
  [NotificationType.CIRCLE_INVITE]: (a) => ({
    title: 'Circle invite',
    body: `${a} invited you to a circle`,
  }),
  [NotificationType.CIRCLE_JOIN_REQUEST]: (a) => ({
    title: 'Join request',
    body: `${a} asked to join your circle`,
  }),
  [NotificationType.CIRCLE_JOIN_APPROVED]: () => ({
    title: 'Welcome',
    body: 'Your request to join a circle was approved',
  }),
  [NotificationType.CIRCLE_ROLE_CHANGED]: () => ({
    title: 'Circle role',
    body: 'Your role in a circle changed',
  }),
  [NotificationType.HELP_REQUEST]: (a) => ({
    title: 'Help request',
    body: `${a} asked your circle for help`,
  }),
  [NotificationType.SOS]: (a) => ({ title: 'SOS', body: `${a} needs help now` }),
  [NotificationType.SUPPORT_ACKNOWLEDGED]: (a) => ({
    title: 'Help is coming',
    body: `${a} saw your request`,
  }),
  [NotificationType.SUPPORT_RESPONSE]: (a) => ({
    title: 'Help is coming',
    body: `${a} responded to your request`,
  }),
  [NotificationType.SUPPORT_RESOLVED]: () => ({
    title: 'Resolved',
    body: 'A request you were alerted to is resolved',
  }),
  [NotificationType.CHECK_IN_REQUESTED]: (a) => ({
    title: 'Check in',
    body: `${a} asked you to check in`,
  }),
  [NotificationType.CHECK_IN_MISSED]: (a) => ({
    title: 'Missed check-in',
    body: a ? `${a} missed a check-in` : 'You missed a check-in; your circles were alerted',
  }),
  [NotificationType.MODERATION_ACTION]: () => ({
    title: 'Moderation',
    body: 'A moderation decision concerns your account',
  }),
  [NotificationType.REPORT_OUTCOME]: () => ({
    title: 'Your report',
    body: 'A report you filed was decided',
  }),
  [NotificationType.APPEAL_DECIDED]: () => ({
    title: 'Your appeal',
    body: 'Your appeal was decided',
  }),
  [NotificationType.DATA_EXPORT_READY]: () => ({
    title: 'Your data',
    body: 'Your data export is ready to download',
  }),
  [NotificationType.SECURITY_ALERT]: () => ({
    title: 'Security',
    body: 'A security change was made to your account',
  }),
  [NotificationType.CIRCLE_REMOVED]: () => ({
    title: 'Circle',
    body: 'You are no longer a member of a circle',
  }),
  [NotificationType.CIRCLE_POST_HIDDEN]: () => ({
    title: 'Circle',
    body: 'A post of yours was hidden in a circle',
  }),
  [NotificationType.DURESS_ALERT]: (a) => ({
    title: 'Urgent: do not call',
    body: `${a} may be in danger. Do not call or message their phone`,
  }),
  [NotificationType.SUPPORT_CLAIMED]: (a) => ({
    title: 'Someone is on it',
    body: `${a} is handling a request you were alerted to`,
  }),
  [NotificationType.SUPPORT_NOTE]: (a) => ({
    title: 'New note',
    body: `${a} added a note to a request`,
  }),
  [NotificationType.CHECK_IN_REMINDER]: () => ({
    title: 'Check in now',
    body: 'Your check-in is due: check in or extend it',
  }),
};

/** Plain text for a preview: no control characters, whitespace collapsed, at most 200 characters. */
export function plainPreview(text: string): string {
  // \p{Cc}: the C0 and C1 control characters (line breaks and tabs become spaces too).
  const clean = text
    .replace(/\p{Cc}/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = Array.from(clean);
  return chars.length <= 200 ? clean : `${chars.slice(0, 199).join('')}…`;
}
