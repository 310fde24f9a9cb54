import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import { IncidentKind, IncidentStatus } from '@kith/gen/kith/support/v1/types_pb.js';
import { FilterAction, NotificationType } from '@kith/gen/kith/user/v1/notification_pb.js';
import { decodeEvent } from '@kith/runtime';
import { waitFor } from '@kith/testkit';
import { uuidv7 } from 'uuidv7';
// By path: the user package does not depend on the auth service; its harness issues the tokens.
import {
  codeOf,
  seedUser,
  startAuthHarness,
  startSession,
} from '../../../auth/src/testing/index.js';
import { harnessedUserModule, notificationHarness } from './testing/notification-harness.js';
import type { Member, NotificationHarness } from './testing/notification-harness.js';

const HOUR = 3_600_000;
let n: NotificationHarness;
let a: Member;
beforeAll(async () => {
  const user = harnessedUserModule();
  const h = await startAuthHarness({ modules: [user.module] });
  n = notificationHarness(
    h,
    user.app(),
    () => seedUser(h),
    async (userId) => (await startSession(h, { userId })).accessToken,
  );
  a = await n.member();
});
afterAll(async () => {
  await n?.stop();
});

const db = () => n.app.database.db;
async function mention(recipientId: string, actorId: string) {
  const postId = uuidv7();
  await n.publish('post', {
    case: 'postMentioned',
    value: { postId, authorId: actorId, mentionedUserId: recipientId },
  });
  return postId;
}
async function sos(ownerId: string, notified: string[], incidentId = uuidv7()) {
  await n.publish('support', {
    case: 'supportAlertRaised',
    value: {
      incidentId,
      kind: IncidentKind.SOS,
      ownerId,
      notifiedUserIds: notified,
      bypassQuietHours: true,
      version: 1n,
      message: 'help',
    },
  });
  return incidentId;
}
const types = async (userId: string) => (await n.rows(userId)).map((row) => row.type);

test('a block either way silences the sender, but never an SOS or a shared circle help request', async () => {
  const r = await n.member();
  const blocked = await n.member();
  const blocker = await n.member();
  await db()
    .insertInto('blocks')
    .values({ blocker_id: r.userId, blocked_id: blocked.userId })
    .execute();
  await db()
    .insertInto('blocks')
    .values({ blocker_id: blocker.userId, blocked_id: r.userId })
    .execute();
  await mention(r.userId, blocked.userId);
  await mention(r.userId, blocker.userId);
  await n.publish('post', {
    case: 'postLiked',
    value: { postId: uuidv7(), postAuthorId: r.userId, userId: blocker.userId },
  });
  await n.settle('post');
  assert.deepEqual(await types(r.userId), []);

  await sos(blocked.userId, [r.userId]);
  await n.publish('support', {
    case: 'supportAlertRaised',
    value: {
      incidentId: uuidv7(),
      kind: IncidentKind.HELP_REQUEST,
      ownerId: blocker.userId,
      circleIds: [uuidv7()],
      notifiedUserIds: [r.userId],
      version: 1n,
    },
  });
  await n.settle('support');
  assert.deepEqual(await types(r.userId), [NotificationType.SOS, NotificationType.HELP_REQUEST]);
  const jobs = await n.pushJobs(r.userId);
  assert.deepEqual(
    jobs.map((j) => [j.notification_type, j.critical, j.time_sensitive]),
    [
      [NotificationType.SOS, true, false],
      [NotificationType.HELP_REQUEST, false, true],
    ],
  );
});

test('an SOS tells each alerted member once, by their own rules, each with its event and push', async () => {
  const owner = await n.member();
  const members: Member[] = [];
  for (let i = 0; i < 8; i++) members.push(await n.member());
  const ids = members.map((m) => m.userId);
  // One of them has blocked the owner: an SOS gets through all the same.
  await db()
    .insertInto('blocks')
    .values({ blocker_id: ids[0]!, blocked_id: owner.userId })
    .execute();
  const incident = uuidv7();
  const told: string[] = [];
  const watch = n.app.bus.subscribeLive('kith.events.user.notification_created', (msg) => {
    const { payload } = decodeEvent(msg.data);
    if (
      payload.case === 'userNotificationCreated' &&
      payload.value.subject?.kind.value === incident
    ) {
      told.push(payload.value.recipientId);
    }
  });
  // The owner among the alerted, and a member named twice: neither is told twice, the owner never.
  await sos(owner.userId, [...ids, owner.userId, ids[3]!], incident);
  await n.settle('support');
  try {
    for (const id of ids) {
      const rows = (await n.rows(id)).filter((row) => row.subject_id === incident);
      assert.deepEqual(
        rows.map((row) => [row.type, row.actor_id, row.read]),
        [[NotificationType.SOS, owner.userId, false]],
      );
      const jobs = (await n.pushJobs(id)).filter((job) => job.notification_id === rows[0]!.id);
      assert.deepEqual(
        jobs.map((job) => [job.notification_type, job.critical, job.title, job.body]),
        [[NotificationType.SOS, true, 'SOS', `@${owner.username} needs help now`]],
      );
    }
    assert.deepEqual(await n.rows(owner.userId), []);
    await waitFor(() => told.length >= ids.length, { what: 'the notification events' });
    assert.deepEqual([...told].sort(), [...ids].sort());
  } finally {
    watch.unsubscribe();
  }
});

test('a mute with notifications silences the sender while it lasts; SOS gets through', async () => {
  const r = await n.member();
  const loud = await n.member();
  const quietOnly = await n.member();
  await db()
    .insertInto('mutes')
    .values([
      {
        muter_id: r.userId,
        muted_id: loud.userId,
        include_notifications: true,
        expires_at: new Date(n.h.clock.now().getTime() + HOUR),
      },
      {
        muter_id: r.userId,
        muted_id: quietOnly.userId,
        include_notifications: false,
        expires_at: null,
      },
    ])
    .execute();
  await mention(r.userId, loud.userId);
  const kept = await mention(r.userId, quietOnly.userId);
  await n.settle('post');
  assert.deepEqual(
    (await n.rows(r.userId)).map((row) => row.subject_id),
    [kept],
  );
  await sos(loud.userId, [r.userId]);
  await n.settle('support');
  assert.equal((await n.rows(r.userId)).at(-1)?.type, NotificationType.SOS);

  n.h.clock.advance(HOUR + 1000);
  const after = await mention(r.userId, loud.userId);
  await n.settle('post');
  assert.equal((await n.rows(r.userId)).at(-1)?.subject_id, after);
});

test('DROP records nothing; FILTER goes to the filtered inbox, counted apart, with no push', async () => {
  const r = await n.member();
  const policy = (fromNotFollowing: FilterAction) => ({
    fromNotFollowing,
    fromNotFollowers: FilterAction.ACCEPT,
    fromNewAccounts: FilterAction.ACCEPT,
    fromLimitedAccounts: FilterAction.ACCEPT,
  });
  await r.notifications.updateNotificationPreferences({
    preferences: { policy: policy(FilterAction.DROP) },
    updateMask: { paths: ['policy'] },
  });
  await mention(r.userId, a.userId);
  await n.settle('post');
  assert.deepEqual(await n.rows(r.userId), []);

  await r.notifications.updateNotificationPreferences({
    preferences: { policy: policy(FilterAction.FILTER) },
    updateMask: { paths: ['policy'] },
  });
  const filtered = await mention(r.userId, a.userId);
  // Someone the user follows is not "not followed": accepted.
  const followed = await n.member();
  await db()
    .insertInto('follows')
    .values({ follower_id: r.userId, followee_id: followed.userId })
    .execute();
  const accepted = await mention(r.userId, followed.userId);
  await n.settle('post');

  const main = await r.notifications.listNotifications({});
  assert.deepEqual(
    main.groups.map((g) => [g.subject?.kind.value, g.filtered]),
    [[accepted, false]],
  );
  const inbox = await r.notifications.listNotifications({ filtered: true });
  assert.deepEqual(
    inbox.groups.map((g) => [g.subject?.kind.value, g.filtered]),
    [[filtered, true]],
  );
  const counts = await r.notifications.getUnreadCount({});
  assert.deepEqual([counts.unreadCount, counts.filteredUnreadCount], [1, 1]);
  const pushed = (await n.pushJobs(r.userId)).map((j) => j.notification_id);
  assert.deepEqual(pushed, [main.groups[0]!.latestNotificationId]);
});

test('a new account lands in the filtered inbox by default', async () => {
  const r = await n.member();
  const newcomer = await n.member({ oldProfile: false });
  await n.publish('user', {
    case: 'userFollowed',
    value: { followerId: newcomer.userId, followeeId: r.userId, version: 1n },
  });
  await n.settle('user');
  const inbox = await r.notifications.listNotifications({ filtered: true });
  assert.deepEqual(
    inbox.groups.map((g) => g.type),
    [NotificationType.FOLLOW],
  );
  assert.deepEqual((await r.notifications.listNotifications({})).groups, []);
});

test('nobody the recipient follows is filtered, even a new account; a limited account is', async () => {
  const r = await n.member();
  const friend = await n.member({ oldProfile: false });
  const limited = await n.member();
  await db()
    .insertInto('follows')
    .values({ follower_id: r.userId, followee_id: friend.userId, created_at: n.h.clock.now() })
    .execute();
  await db()
    .updateTable('profiles')
    .set({ moderation_limited: true })
    .where('user_id', '=', limited.userId)
    .execute();
  await mention(r.userId, friend.userId);
  await mention(r.userId, limited.userId);
  await n.settle('post');
  const main = await r.notifications.listNotifications({});
  assert.deepEqual(
    main.groups.map((g) => g.sampleActors[0]?.userId),
    [friend.userId],
  );
  const filtered = await r.notifications.listNotifications({ filtered: true });
  assert.deepEqual(
    filtered.groups.map((g) => g.sampleActors[0]?.userId),
    [limited.userId],
  );
});

test('a duress cancel reaches the responders as DURESS_ALERT and leaves the owner exactly as a real cancel', async () => {
  async function incident(cancel: 'duress' | 'real') {
    const owner = await n.member();
    const responder = await n.member();
    const incidentId = await sos(owner.userId, [responder.userId]);
    await n.publish('support', {
      case: 'supportAcknowledged',
      value: { incidentId, ownerId: owner.userId, responderId: responder.userId, version: 2n },
    });
    await n.settle('support');
    const before = { rows: await n.rows(owner.userId), jobs: await n.pushJobs(owner.userId) };
    if (cancel === 'duress') {
      await n.publish('support', {
        case: 'supportDuressCancelled',
        value: {
          incidentId,
          ownerId: owner.userId,
          recipientUserIds: [responder.userId],
          version: 3n,
        },
      });
      // After the duress cancel every event is silent: none of it may reach the owner.
      await n.publish('support', {
        case: 'supportResponded',
        value: {
          incidentId,
          ownerId: owner.userId,
          responderId: responder.userId,
          note: 'coming',
          version: 4n,
          silent: true,
        },
      });
      await n.publish('support', {
        case: 'supportNoteAdded',
        value: {
          incidentId,
          ownerId: owner.userId,
          authorId: a.userId,
          text: 'police called',
          recipientUserIds: [owner.userId, responder.userId],
          version: 5n,
          silent: true,
        },
      });
      await n.publish('support', {
        case: 'supportEscalated',
        value: {
          incidentId,
          ownerId: owner.userId,
          step: 2,
          notifiedUserIds: [owner.userId],
          version: 6n,
          silent: true,
        },
      });
    } else {
      await n.publish('support', {
        case: 'supportResolved',
        value: {
          incidentId,
          ownerId: owner.userId,
          status: IncidentStatus.CANCELLED,
          resolvedByUserId: owner.userId,
          recipientUserIds: [responder.userId],
          version: 3n,
        },
      });
    }
    await n.settle('support');
    const after = { rows: await n.rows(owner.userId), jobs: await n.pushJobs(owner.userId) };
    const owned = await owner.notifications.listNotifications({});
    return {
      before,
      after,
      owned,
      responder: await n.rows(responder.userId),
      responderJobs: await n.pushJobs(responder.userId),
    };
  }
  const duress = await incident('duress');
  const real = await incident('real');
  for (const run of [duress, real]) {
    assert.deepEqual(run.after, run.before, 'the cancel adds nothing for the owner');
    assert.deepEqual(
      run.owned.groups.map((g) => g.type),
      [NotificationType.SUPPORT_ACKNOWLEDGED],
    );
  }
  assert.deepEqual(
    duress.responder.map((row) => row.type),
    [NotificationType.SOS, NotificationType.DURESS_ALERT, NotificationType.SUPPORT_NOTE],
  );
  assert.equal(
    duress.responderJobs.find((j) => j.notification_type === NotificationType.DURESS_ALERT)
      ?.critical,
    true,
  );
  assert.deepEqual(
    real.responder.map((row) => row.type),
    [NotificationType.SOS, NotificationType.SUPPORT_RESOLVED],
  );
});

test('push is queued only when the type allows it, in plain text without the content', async () => {
  const r = await n.member();
  await r.notifications.updateNotificationPreferences({
    preferences: {
      perType: [{ type: NotificationType.REPLY, inApp: true, push: false, email: false }],
    },
    updateMask: { paths: ['per_type'] },
  });
  const mentioned = await mention(r.userId, a.userId);
  await n.publish('post', {
    case: 'postCommentCreated',
    value: {
      postId: uuidv7(),
      authorId: a.userId,
      parentPostId: uuidv7(),
      parentAuthorId: r.userId,
      rootPostId: uuidv7(),
      text: 'my secret reply',
    },
  });
  await n.settle('post');
  assert.deepEqual(await types(r.userId), [NotificationType.MENTION, NotificationType.REPLY]);
  const jobs = await n.pushJobs(r.userId);
  assert.equal(jobs.length, 1);
  const [job] = jobs;
  assert.equal(job!.notification_type, NotificationType.MENTION);
  assert.equal(job!.title, 'Mention');
  assert.equal(job!.body, `@${a.username} mentioned you`);
  assert.equal(job!.data.postId, mentioned);
  assert.equal(job!.critical, false);
});

test('quiet hours hold push but not the inbox; SOS, duress alerts and check-in reminders break through', async () => {
  const r = await n.member();
  const allDay = { startMinute: 0, endMinute: 0, timeZone: 'UTC' };
  await r.notifications.updateNotificationPreferences({
    preferences: { quietHours: allDay, quietHoursEnabled: true },
    updateMask: { paths: ['quiet_hours', 'quiet_hours_enabled'] },
  });
  await mention(r.userId, a.userId);
  await n.settle('post');
  await sos(a.userId, [r.userId]);
  await n.publish('support', {
    case: 'supportCheckInReminded',
    value: { checkInId: uuidv7(), userId: r.userId, version: 2n },
  });
  await n.settle('support');
  assert.deepEqual(await types(r.userId), [
    NotificationType.MENTION,
    NotificationType.SOS,
    NotificationType.CHECK_IN_REMINDER,
  ]);
  assert.deepEqual(
    (await n.pushJobs(r.userId)).map((j) => [j.notification_type, j.critical, j.time_sensitive]),
    [
      [NotificationType.SOS, true, false],
      [NotificationType.CHECK_IN_REMINDER, false, true],
    ],
  );
});

test("a circle's quiet hours hold that circle's help requests only", async () => {
  const r = await n.member();
  const quietCircle = uuidv7();
  const otherCircle = uuidv7();
  await n.publish('circle', {
    case: 'circleSafetyRoleChanged',
    value: {
      circleId: quietCircle,
      userId: r.userId,
      safety: {
        responder: true,
        quietHours: { startMinute: 0, endMinute: 0, timeZone: 'UTC' },
        quietHoursEnabled: true,
      },
      version: 2n,
    },
  });
  await n.settle('circle');
  const help = (circleId: string) =>
    n.publish('support', {
      case: 'supportAlertRaised',
      value: {
        incidentId: uuidv7(),
        kind: IncidentKind.HELP_REQUEST,
        ownerId: a.userId,
        circleIds: [circleId],
        notifiedUserIds: [r.userId],
        version: 1n,
      },
    });
  await help(quietCircle);
  await help(otherCircle);
  await n.settle('support');
  const rows = await n.rows(r.userId);
  assert.deepEqual(
    rows.map((row) => row.within_circle_id),
    [quietCircle, otherCircle],
  );
  assert.deepEqual(
    (await n.pushJobs(r.userId)).map((j) => j.data.within_circle_id),
    [otherCircle],
  );
});

test('preferences list every type with the defaults, and a stale base_version is Aborted', async () => {
  const r = await n.member();
  const { preferences } = await r.notifications.getNotificationPreferences({});
  assert.ok(preferences);
  assert.equal(preferences.version, 1);
  assert.equal(preferences.perType.length, 30);
  const security = preferences.perType.find((p) => p.type === NotificationType.SECURITY_ALERT)!;
  assert.deepEqual([security.inApp, security.push, security.email], [true, true, false]);
  assert.ok(
    preferences.perType
      .filter((p) => p.type !== NotificationType.SECURITY_ALERT)
      .every((p) => p.inApp && p.push && p.email),
  );
  assert.deepEqual(
    [
      preferences.policy?.fromNotFollowing,
      preferences.policy?.fromNotFollowers,
      preferences.policy?.fromNewAccounts,
      preferences.policy?.fromLimitedAccounts,
    ],
    [FilterAction.ACCEPT, FilterAction.ACCEPT, FilterAction.FILTER, FilterAction.FILTER],
  );
  assert.equal(preferences.quietHoursEnabled, false);

  const change = (baseVersion: number) =>
    r.notifications.updateNotificationPreferences({
      preferences: {
        perType: [{ type: NotificationType.LIKE, inApp: true, push: false, email: false }],
      },
      updateMask: { paths: ['per_type'] },
      baseVersion,
    });
  const updated = (await change(1)).preferences!;
  assert.equal(updated.version, 2);
  const likes = updated.perType.find((p) => p.type === NotificationType.LIKE)!;
  assert.deepEqual([likes.inApp, likes.push, likes.email], [true, false, false]);
  assert.equal(await codeOf(change(1)), Code.Aborted);
  const reread = (await r.notifications.getNotificationPreferences({})).preferences!;
  assert.equal(reread.version, 2);
});

test('SOS, duress alerts and check-in reminders cannot be turned off; bad input names its field', async () => {
  const r = await n.member();
  for (const type of [
    NotificationType.SOS,
    NotificationType.DURESS_ALERT,
    NotificationType.CHECK_IN_REMINDER,
  ]) {
    assert.equal(
      await codeOf(
        r.notifications.updateNotificationPreferences({
          preferences: { perType: [{ type, inApp: true, push: false, email: false }] },
          updateMask: { paths: ['per_type'] },
        }),
      ),
      Code.InvalidArgument,
    );
  }
  assert.equal(
    await codeOf(
      r.notifications.updateNotificationPreferences({
        preferences: { quietHours: { startMinute: 60, endMinute: 120, timeZone: 'Mars/Olympus' } },
        updateMask: { paths: ['quiet_hours'] },
      }),
    ),
    Code.InvalidArgument,
  );
  assert.equal(
    await codeOf(
      r.notifications.updateNotificationPreferences({
        preferences: { policy: { fromNotFollowing: FilterAction.ACCEPT } },
        updateMask: { paths: ['policy'] },
      }),
    ),
    Code.InvalidArgument,
  );
  const unchanged = (await r.notifications.getNotificationPreferences({})).preferences!;
  assert.equal(unchanged.version, 1);
});

test('a type with in-app off still records, but never as unread', async () => {
  const r = await n.member();
  await r.notifications.updateNotificationPreferences({
    preferences: {
      perType: [{ type: NotificationType.MENTION, inApp: false, push: true, email: true }],
    },
    updateMask: { paths: ['per_type'] },
  });
  await mention(r.userId, a.userId);
  await n.settle('post');
  const { groups } = await r.notifications.listNotifications({});
  assert.deepEqual(
    groups.map((g) => [g.type, g.read]),
    [[NotificationType.MENTION, true]],
  );
  assert.equal((await r.notifications.getUnreadCount({})).unreadCount, 0);
});

test('a block made later hides the blocked user from the groups they were in', async () => {
  const r = await n.member();
  const [liker, other] = [await n.member(), await n.member()];
  const post = uuidv7();
  for (const user of [liker, other]) {
    await n.publish('post', {
      case: 'postLiked',
      value: { postId: post, postAuthorId: r.userId, userId: user.userId },
    });
  }
  await n.settle('post');
  const actors = async () =>
    (await r.notifications.listNotifications({})).groups[0]!.sampleActors.map((s) => s.userId);
  assert.deepEqual((await actors()).sort(), [liker.userId, other.userId].sort());
  await db()
    .insertInto('blocks')
    .values({ blocker_id: liker.userId, blocked_id: r.userId })
    .execute();
  assert.deepEqual(await actors(), [other.userId]);
});

test('e-mail goes to the address auth gave, as the push text, only where the type allows it and never filtered', async () => {
  const r = await n.member();
  // The address arrives with auth's events (the profiles area keeps it); set it for this test.
  await db()
    .insertInto('contacts')
    .values({ user_id: r.userId, email: r.email })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ email: r.email }))
    .execute();
  await r.notifications.updateNotificationPreferences({
    preferences: {
      perType: [{ type: NotificationType.REPLY, inApp: true, push: true, email: false }],
    },
    updateMask: { paths: ['per_type'] },
  });
  await mention(r.userId, a.userId);
  await n.publish('post', {
    case: 'postCommentCreated',
    value: {
      postId: uuidv7(),
      authorId: a.userId,
      parentPostId: uuidv7(),
      parentAuthorId: r.userId,
      rootPostId: uuidv7(),
      text: 'my secret reply',
    },
  });
  await n.settle('post');
  const mails = await db()
    .selectFrom('mail_outbox')
    .select(['to', 'subject', 'text'])
    .where('to', '=', r.email)
    .execute();
  assert.equal(mails.length, 1, 'the mention is mailed, the reply (e-mail off) is not');
  assert.equal(mails[0]!.subject, 'Kith: Mention');
  assert.match(mails[0]!.text, new RegExp(`^@${a.username} mentioned you\\n`));
  assert.doesNotMatch(mails[0]!.text, /secret/);
});
