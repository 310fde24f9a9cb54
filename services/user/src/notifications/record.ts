import { withTables } from '@kith/db';
import { FilterAction, NotificationType } from '@kith/gen/kith/user/v1/notification_pb.js';
import type { NotificationSubject } from '@kith/gen/kith/user/v1/notification_pb.js';
import type { Insertable, Kysely } from 'kysely';
import { uuidv7 } from 'uuidv7';
import type { UserApp } from '../app.js';
import type { UserDatabase } from '../db/schema.js';
import type { PushJobsDb, PushJobTable } from '../push/push-job-store.js';
import { enqueuePushes } from '../push/push-job-store.js';
import { enqueueMail } from '@kith/mail';
import {
  actorStanding,
  circleQuietHoursOf,
  contactEmailsOf,
  insertNotifications,
  openGroup,
  preferencesOf,
  settingsTimeZone,
  usernamesOf,
} from './notification-store.js';
import type {
  ActorStanding,
  NotificationStoreDb,
  NotificationTable,
  PreferencesRow,
} from './notification-store.js';
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

/** A draft that passed its recipient's rules, with what its delivery depends on. */
interface Decided {
  draft: NotificationDraft;
  prefs: EffectivePreferences;
  channels: { inApp: boolean; push: boolean; email: boolean };
  /** The notification to insert (`filtered`: it goes to the filtered inbox). */
  row: Insertable<NotificationTable> & { filtered: boolean };
}

/** The recipient's rules applied to one draft: what to record, or undefined for nothing. */
async function decide(
  db: Kysely<NotificationStoreDb>,
  draft: NotificationDraft,
  stored: PreferencesRow | undefined,
  sourceId: string,
  now: Date,
): Promise<Decided | undefined> {
  const { recipientId, type, actorId } = draft;
  if (actorId === recipientId) return undefined; // nobody is told of their own likes
  const always = ALWAYS_DELIVERED.has(type);
  const prefs = effectivePreferences(stored);
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
  const row: Decided['row'] = {
    id,
    recipient_id: recipientId,
    type,
    group_key: groupKey,
    group_started_at: groupStartedAt,
    actor_id: actorId ?? null,
    subject_kind: draft.subject?.kind ?? '',
    subject_id: draft.subject?.id ?? null,
    within_circle_id: draft.subject?.withinCircleId ?? null,
    preview: plainPreview(draft.preview ?? ''),
    filtered,
    // In-app turned off for a type: it still records (the contract), but never as unread.
    read: !channels.inApp,
    source_event_id: sourceId,
    created_at: now,
  };
  return { draft, prefs, channels, row };
}

/**
 * Records an event's notifications in the caller's transaction, as notification.proto says:
 * nothing for DROP, a block either way or a notifications mute (SOS-class types ignore all of
 * them, incident types ignore blocks); FILTER goes to the filtered inbox; likes, reposts and
 * follows join their subject's open 12 h group. Then, in the same transaction,
 * user.notification_created for each and, where push is allowed and not held by quiet hours, a
 * push job. `sourceId` (the event id) makes a redelivery record nothing. The recipients'
 * preferences, the notifications, their events, the actors' handles, e-mail addresses and push
 * jobs are each one statement for all the drafts (an SOS alerts a whole circle); blocks, mutes,
 * groups and quiet hours are asked per draft, and only where its type needs them. Answers each
 * draft's new notification id, or undefined where none was recorded.
 */
export async function recordNotifications(
  app: UserApp,
  trx: Kysely<UserDatabase>,
  drafts: readonly NotificationDraft[],
  sourceId: string,
): Promise<(string | undefined)[]> {
  const db = withTables<NotificationStoreDb>(trx);
  const now = app.clock();
  const stored = await preferencesOf(db, [
    ...new Set(drafts.filter((d) => d.actorId !== d.recipientId).map((d) => d.recipientId)),
  ]);
  const decided: Decided[] = [];
  for (const draft of drafts) {
    const one = await decide(db, draft, stored.get(draft.recipientId), sourceId, now);
    if (one) decided.push(one);
  }
  const ids = await insertNotifications(
    db,
    decided.map((d) => d.row),
  );
  const recorded = decided.filter((d) => ids.has(d.row.id!));
  await app.emitMany(
    trx,
    recorded.map(({ draft, row }) => ({
      actorId: draft.actorId ?? null,
      payload: {
        case: 'userNotificationCreated',
        value: {
          notificationId: row.id!,
          recipientId: draft.recipientId,
          notificationType: draft.type,
          groupKey: row.group_key,
          actorId: draft.actorId ?? '',
          subject: draft.subject
            ? {
                kind: { case: draft.subject.kind, value: draft.subject.id },
                withinCircleId: draft.subject.withinCircleId ?? '',
              }
            : undefined,
          preview: row.preview ?? '',
          filtered: row.filtered,
        },
      },
    })),
  );

  // Push and e-mail: not for the filtered inbox, and held (not sent, then or later) by quiet hours.
  const mail = app.notificationMail;
  const delivered: Decided[] = [];
  for (const d of recorded) {
    const wantsMail = d.channels.email && mail !== undefined;
    if (d.row.filtered || (!d.channels.push && !wantsMail)) continue;
    if (!(await held(db, d.prefs, d.draft, now))) delivered.push(d);
  }
  const handles = await usernamesOf(db, [
    ...new Set(delivered.flatMap((d) => (d.draft.actorId ? [d.draft.actorId] : []))),
  ]);
  const mailed = mail ? delivered.filter((d) => d.channels.email) : [];
  const addresses = await contactEmailsOf(
    db,
    mailed.map((d) => d.draft.recipientId),
  );
  const pushes: Insertable<PushJobTable>[] = [];
  for (const { draft, channels, row } of delivered) {
    const handle = draft.actorId ? handles.get(draft.actorId) : undefined;
    const text = PUSH_TEXT[draft.type](handle ? `@${handle}` : 'Someone');
    const to = mail && channels.email ? addresses.get(draft.recipientId) : undefined;
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
    if (!channels.push) continue;
    const data: Record<string, string> = { notification_id: row.id!, type: String(draft.type) };
    if (draft.subject) data[draft.subject.kind] = draft.subject.id;
    if (draft.subject?.withinCircleId) data.within_circle_id = draft.subject.withinCircleId;
    pushes.push({
      id: uuidv7(),
      notification_id: row.id!,
      recipient_id: draft.recipientId,
      notification_type: draft.type,
      title: text.title,
      body: text.body,
      data,
      critical: CRITICAL.has(draft.type),
      time_sensitive: TIME_SENSITIVE.has(draft.type),
    });
  }
  await enqueuePushes(withTables<PushJobsDb>(trx), pushes);
  const idOf = new Map(recorded.map((d) => [d.draft, d.row.id!]));
  return drafts.map((draft) => idOf.get(draft));
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
  const [id] = await recordNotifications(
    app,
    trx,
    [
      {
        recipientId: input.recipientId,
        type: input.type,
        subject: input.subject,
        preview: input.preview,
      },
    ],
    input.sourceId,
  );
  return id;
}
