import { withTables } from '@kith/db';
import { FilterAction, NotificationType } from '@kith/gen/kith/user/v1/notification_pb.js';
import type { NotificationSubject } from '@kith/gen/kith/user/v1/notification_pb.js';
import type { Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import type { UserApp } from '../app.js';
import type { UserDatabase } from '../db/schema.js';
import type { PushJobsDb } from '../push/push-job-store.js';
import { enqueuePush } from '../push/push-job-store.js';
import { enqueueMail } from '@kith/mail';
import {
  actorStanding,
  circleQuietHoursOf,
  contactEmailOf,
  findPreferences,
  insertNotification,
  openGroup,
  settingsTimeZone,
  usernameOf,
} from './notification-store.js';
import type { ActorStanding, NotificationStoreDb } from './notification-store.js';
import { effectivePreferences } from './preferences.js';
import type { EffectivePreferences } from './preferences.js';
import { inQuietWindow } from './quiet-hours.js';
import {
  ALWAYS_DELIVERED,
  BLOCKS_DO_NOT_APPLY,
  CRITICAL,
  GROUP_WINDOW_MS,
  GROUPED,
  POLICY_APPLIES,
  PUSH_TEXT,
  TIME_SENSITIVE,
  plainPreview,
} from './types.js';

export type SubjectKind = NonNullable<NotificationSubject['kind']['case']>;

/** What an event means for one recipient, before the recipient's rules are applied. */
export interface NotificationDraft {
  recipientId: string;
  type: NotificationType;
  /** The user who caused it; undefined for system notifications (never a moderator or admin). */
  actorId?: string | undefined;
  subject?: { kind: SubjectKind; id: string; withinCircleId?: string | undefined } | undefined;
  preview?: string | undefined;
  /** The circles whose member quiet hours hold this push (a circle's help requests). */
  circleIds?: readonly string[] | undefined;
  /** The event asked to deliver through quiet hours (support.alert_raised for an SOS). */
  bypassQuietHours?: boolean | undefined;
}

const NEW_ACCOUNT_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * The strictest of the policy's actions that apply to this sender. Nobody the recipient follows
 * is ever filtered (as Mastodon has it): the policy is about strangers.
 */
function policyAction(
  prefs: EffectivePreferences,
  standing: ActorStanding,
  now: Date,
): FilterAction {
  if (standing.recipientFollowsActor) return FilterAction.ACCEPT;
  const actions: FilterAction[] = [prefs.policy.fromNotFollowing];
  if (!standing.actorFollowsRecipient) actions.push(prefs.policy.fromNotFollowers);
  const { sender } = standing;
  if (sender && now.getTime() - sender.createdAt.getTime() < NEW_ACCOUNT_MS) {
    actions.push(prefs.policy.fromNewAccounts);
  }
  // Limited by moderation (moderation.account_actioned, kept on the profile).
  if (sender?.limited) actions.push(prefs.policy.fromLimitedAccounts);
  if (actions.includes(FilterAction.DROP)) return FilterAction.DROP;
  if (actions.includes(FilterAction.FILTER)) return FilterAction.FILTER;
  return FilterAction.ACCEPT;
}

/** Whether push (and e-mail) of this notification is held by a quiet-hours window now. */
async function held(
  db: Kysely<NotificationStoreDb>,
  prefs: EffectivePreferences,
  draft: NotificationDraft,
  now: Date,
): Promise<boolean> {
  if (ALWAYS_DELIVERED.has(draft.type) || draft.bypassQuietHours) return false;
  const zone = await settingsTimeZone(db, draft.recipientId);
  if (prefs.quietHoursEnabled && prefs.quietHours && inQuietWindow(prefs.quietHours, now, zone)) {
    return true;
  }
  if (draft.type !== NotificationType.HELP_REQUEST || !draft.circleIds?.length) return false;
  const windows = await circleQuietHoursOf(db, draft.recipientId, draft.circleIds);
  return windows.some((w) =>
    inQuietWindow(
      { startMinute: w.start_minute, endMinute: w.end_minute, timeZone: w.time_zone },
      now,
      zone,
    ),
  );
}

/**
 * Records one notification in the caller's transaction, as notification.proto says: nothing
 * for DROP, a block either way or a notifications mute (SOS-class types ignore all of them,
 * incident types ignore blocks); FILTER goes to the filtered inbox; likes, reposts and follows
 * join their subject's open 12 h group. Then, in the same transaction, user.notification_created
 * and, when push is allowed and not held by quiet hours, a push job. `sourceId` (the event id)
 * makes a redelivery record nothing. Answers the new notification's id, if one was recorded.
 */
export async function recordNotification(
  app: UserApp,
  trx: Kysely<UserDatabase>,
  draft: NotificationDraft,
  sourceId: string,
): Promise<string | undefined> {
  const db = withTables<NotificationStoreDb>(trx);
  const now = app.clock();
  const { recipientId, type, actorId } = draft;
  if (actorId === recipientId) return undefined; // nobody is told of their own likes
  const always = ALWAYS_DELIVERED.has(type);
  const prefs = effectivePreferences(await findPreferences(db, recipientId));
  const channels = prefs.perType.get(type)!;

  let filtered = false;
  if (actorId && !always) {
    const standing = await actorStanding(db, recipientId, actorId, now);
    if (!BLOCKS_DO_NOT_APPLY.has(type) && standing.blocked) return undefined;
    if (standing.muted) return undefined;
    if (POLICY_APPLIES.has(type)) {
      const action = policyAction(prefs, standing, now);
      if (action === FilterAction.DROP) return undefined;
      filtered = action === FilterAction.FILTER;
    }
  }

  const id = uuidv7();
  let groupKey = id;
  let groupStartedAt = now;
  if (GROUPED.has(type) && draft.subject) {
    const open = await openGroup(db, {
      recipientId,
      type,
      subjectId: draft.subject.id,
      since: new Date(now.getTime() - GROUP_WINDOW_MS),
    });
    if (open) {
      groupKey = open.groupKey;
      groupStartedAt = open.startedAt;
    } else {
      groupKey = `${type}.${draft.subject.id}.${now.getTime()}`;
    }
  }
  const preview = plainPreview(draft.preview ?? '');
  const inserted = await insertNotification(db, {
    id,
    recipient_id: recipientId,
    type,
    group_key: groupKey,
    group_started_at: groupStartedAt,
    actor_id: actorId ?? null,
    subject_kind: draft.subject?.kind ?? '',
    subject_id: draft.subject?.id ?? null,
    within_circle_id: draft.subject?.withinCircleId ?? null,
    preview,
    filtered,
    // In-app turned off for a type: it still records (the contract), but never as unread.
    read: !channels.inApp,
    source_event_id: sourceId,
    created_at: now,
  });
  if (!inserted) return undefined;

  await app.emit(trx, actorId ?? null, {
    case: 'userNotificationCreated',
    value: {
      notificationId: id,
      recipientId,
      notificationType: type,
      groupKey,
      actorId: actorId ?? '',
      subject: draft.subject
        ? {
            kind: { case: draft.subject.kind, value: draft.subject.id },
            withinCircleId: draft.subject.withinCircleId ?? '',
          }
        : undefined,
      preview,
      filtered,
    },
  });

  // Push and e-mail: not for the filtered inbox, and held (not sent, then or later) by quiet hours.
  const mail = app.notificationMail;
  const wantsPush = channels.push;
  const wantsMail = channels.email && mail !== undefined;
  if (filtered || (!wantsPush && !wantsMail) || (await held(db, prefs, draft, now))) return id;
  const handle = actorId ? await usernameOf(db, actorId) : undefined;
  const text = PUSH_TEXT[type](handle ? `@${handle}` : 'Someone');
  if (wantsMail) {
    const to = await contactEmailOf(db, recipientId);
    // The same plain text as the push: the actor's public handle at most, never post text.
    if (to) {
      await enqueueMail(
        trx,
        {
          to,
          subject: `Kith: ${text.title}`,
          text: `${text.body}\n\nOpen Kith to see it. Which notifications reach you by e-mail is up to you, in your notification settings.\n`,
        },
        { now },
      );
    }
  }
  if (wantsPush) {
    const data: Record<string, string> = { notification_id: id, type: String(type) };
    if (draft.subject) data[draft.subject.kind] = draft.subject.id;
    if (draft.subject?.withinCircleId) data.within_circle_id = draft.subject.withinCircleId;
    await enqueuePush(withTables<PushJobsDb>(trx), {
      id: uuidv7(),
      notification_id: id,
      recipient_id: recipientId,
      notification_type: type,
      title: text.title,
      body: text.body,
      data,
      critical: CRITICAL.has(type),
      time_sensitive: TIME_SENSITIVE.has(type),
    });
  }
  return id;
}

/**
 * A notification from the user service itself (no actor): DATA_EXPORT_READY once every part of
 * an export is in. Call it in the transaction that completes the export; `sourceId` (e.g. the
 * data_export_id) makes a second call for the same thing record nothing.
 */
export async function notifySystem(
  trx: Kysely<UserDatabase>,
  app: UserApp,
  input: {
    recipientId: string;
    type: NotificationType;
    subject?: NotificationDraft['subject'];
    preview?: string;
    sourceId: string;
  },
): Promise<string | undefined> {
  return recordNotification(
    app,
    trx,
    {
      recipientId: input.recipientId,
      type: input.type,
      subject: input.subject,
      preview: input.preview,
    },
    input.sourceId,
  );
}
