import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { AuthMfaChange } from '@kith/gen/kith/events/v1/auth_events_pb.js';
import { CircleRole } from '@kith/gen/kith/circle/v1/types_pb.js';
import { IncidentKind } from '@kith/gen/kith/support/v1/types_pb.js';
import { NotificationType } from '@kith/gen/kith/user/v1/notification_pb.js';
import type { EventPayload } from '@kith/runtime';
import { uuidv7 } from 'uuidv7';
import { notifySystem } from './index.js';
// By path: the user package does not depend on the auth service; its harness issues the tokens.
import { seedUser, startAuthHarness, startSession } from '../../../auth/src/testing/index.js';
import { harnessedUserModule, notificationHarness } from './testing/notification-harness.js';
import type { Domain, Member, NotificationHarness } from './testing/notification-harness.js';
import { EVERY_TYPE } from './types.js';

let n: NotificationHarness;
let r: Member; // the recipient
let a: Member; // the actor
beforeAll(async () => {
  const user = harnessedUserModule();
  const h = await startAuthHarness({ modules: [user.module] });
  n = notificationHarness(
    h,
    user.app(),
    () => seedUser(h),
    async (userId) => (await startSession(h, { userId })).accessToken,
  );
  r = await n.member();
  a = await n.member();
});
afterAll(async () => {
  await n?.stop();
});

interface Row {
  name: string;
  domain: Domain;
  payload: EventPayload;
  type: NotificationType;
  subject: [kind: string, id: string] | undefined;
  /** Whether the group shows the actor (system notifications have none). */
  actor: boolean;
  within?: string;
}

function rows(): Row[] {
  const id = () => uuidv7();
  const circle = id();
  const p1 = id();
  const p2 = id();
  const p3 = id();
  const p4 = id();
  const p5 = id();
  const p6 = id();
  const inv = id();
  const jr = id();
  const inc1 = id();
  const inc2 = id();
  const inc3 = id();
  const inc4 = id();
  const ck1 = id();
  const ck2 = id();
  const ck3 = id();
  const act1 = id();
  const strike = id();
  const act2 = id();
  const report = id();
  const appeal = id();
  const R = r.userId;
  const A = a.userId;
  return [
    {
      name: 'user.followed → FOLLOW to the followee',
      domain: 'user',
      payload: { case: 'userFollowed', value: { followerId: A, followeeId: R, version: 1n } },
      type: NotificationType.FOLLOW,
      subject: ['userId', R],
      actor: true,
    },
    {
      name: 'user.followed via request → FOLLOW_REQUEST_ACCEPTED to the follower',
      domain: 'user',
      payload: {
        case: 'userFollowed',
        value: { followerId: R, followeeId: A, viaFollowRequest: true, version: 1n },
      },
      type: NotificationType.FOLLOW_REQUEST_ACCEPTED,
      subject: ['userId', A],
      actor: true,
    },
    {
      name: 'user.follow_requested → FOLLOW_REQUEST to the target',
      domain: 'user',
      payload: { case: 'userFollowRequested', value: { requesterId: A, targetId: R, version: 1n } },
      type: NotificationType.FOLLOW_REQUEST,
      subject: ['userId', A],
      actor: true,
    },
    {
      name: 'post.mentioned → MENTION',
      domain: 'post',
      payload: { case: 'postMentioned', value: { postId: p1, authorId: A, mentionedUserId: R } },
      type: NotificationType.MENTION,
      subject: ['postId', p1],
      actor: true,
    },
    {
      name: 'post.comment_created → REPLY to the parent author',
      domain: 'post',
      payload: {
        case: 'postCommentCreated',
        value: {
          postId: p2,
          authorId: A,
          parentPostId: id(),
          parentAuthorId: R,
          rootPostId: id(),
          text: 'nice',
        },
      },
      type: NotificationType.REPLY,
      subject: ['postId', p2],
      actor: true,
    },
    {
      name: 'post.created quoting → QUOTE to the quoted author',
      domain: 'post',
      payload: {
        case: 'postCreated',
        value: { postId: p3, authorId: A, quotePostId: id(), quotedPostAuthorId: R, text: 'this' },
      },
      type: NotificationType.QUOTE,
      subject: ['postId', p3],
      actor: true,
    },
    {
      name: 'post.comment_created quoting → QUOTE too',
      domain: 'post',
      payload: {
        case: 'postCommentCreated',
        value: {
          postId: p6,
          authorId: A,
          parentPostId: id(),
          parentAuthorId: A,
          rootPostId: id(),
          quotePostId: id(),
          quotedPostAuthorId: R,
        },
      },
      type: NotificationType.QUOTE,
      subject: ['postId', p6],
      actor: true,
    },
    {
      name: 'post.liked → LIKE to the author',
      domain: 'post',
      payload: {
        case: 'postLiked',
        value: { postId: p4, postAuthorId: R, userId: A, likeCount: 1 },
      },
      type: NotificationType.LIKE,
      subject: ['postId', p4],
      actor: true,
    },
    {
      name: 'post.reposted → REPOST to the author',
      domain: 'post',
      payload: {
        case: 'postReposted',
        value: { postId: p5, postAuthorId: R, userId: A, repostCount: 1 },
      },
      type: NotificationType.REPOST,
      subject: ['postId', p5],
      actor: true,
    },
    {
      name: 'circle.invite_created → CIRCLE_INVITE',
      domain: 'circle',
      payload: {
        case: 'circleInviteCreated',
        value: { inviteId: inv, circleId: circle, inviterUserId: A, inviteeUserId: R },
      },
      type: NotificationType.CIRCLE_INVITE,
      subject: ['inviteId', inv],
      actor: true,
      within: circle,
    },
    {
      name: 'circle.join_requested → CIRCLE_JOIN_REQUEST to the admins',
      domain: 'circle',
      payload: {
        case: 'circleJoinRequested',
        value: { joinRequestId: jr, circleId: circle, requesterUserId: A, recipientUserIds: [R] },
      },
      type: NotificationType.CIRCLE_JOIN_REQUEST,
      subject: ['joinRequestId', jr],
      actor: true,
      within: circle,
    },
    {
      name: 'circle.member_joined approved → CIRCLE_JOIN_APPROVED, no actor',
      domain: 'circle',
      payload: {
        case: 'circleMemberJoined',
        value: { circleId: circle, userId: R, approvedByUserId: A, joinRequestId: jr, version: 1n },
      },
      type: NotificationType.CIRCLE_JOIN_APPROVED,
      subject: ['circleId', circle],
      actor: false,
    },
    {
      name: 'circle.role_changed → CIRCLE_ROLE_CHANGED',
      domain: 'circle',
      payload: {
        case: 'circleRoleChanged',
        value: {
          circleId: circle,
          userId: R,
          oldRole: CircleRole.MEMBER,
          newRole: CircleRole.ADMIN,
          version: 2n,
        },
      },
      type: NotificationType.CIRCLE_ROLE_CHANGED,
      subject: ['circleId', circle],
      actor: false,
    },
    {
      name: 'circle.member_removed → CIRCLE_REMOVED, never who',
      domain: 'circle',
      payload: {
        case: 'circleMemberRemoved',
        value: { circleId: circle, userId: R, removedByUserId: A, reason: 'spam', version: 3n },
      },
      type: NotificationType.CIRCLE_REMOVED,
      subject: ['circleId', circle],
      actor: false,
    },
    {
      name: 'circle.post_hidden → CIRCLE_POST_HIDDEN to the author',
      domain: 'circle',
      payload: {
        case: 'circlePostHidden',
        value: {
          circleId: circle,
          postId: p1,
          authorId: R,
          hiddenByUserId: A,
          note: 'off topic',
          version: 1n,
        },
      },
      type: NotificationType.CIRCLE_POST_HIDDEN,
      subject: ['postId', p1],
      actor: false,
      within: circle,
    },
    {
      name: 'support.alert_raised HELP_REQUEST → HELP_REQUEST',
      domain: 'support',
      payload: {
        case: 'supportAlertRaised',
        value: {
          incidentId: inc1,
          kind: IncidentKind.HELP_REQUEST,
          ownerId: A,
          circleIds: [circle],
          notifiedUserIds: [R],
          version: 1n,
          message: 'flat tyre',
        },
      },
      type: NotificationType.HELP_REQUEST,
      subject: ['incidentId', inc1],
      actor: true,
      within: circle,
    },
    {
      name: 'support.alert_raised SOS → SOS',
      domain: 'support',
      payload: {
        case: 'supportAlertRaised',
        value: {
          incidentId: inc2,
          kind: IncidentKind.SOS,
          ownerId: A,
          notifiedUserIds: [R],
          bypassQuietHours: true,
          version: 1n,
        },
      },
      type: NotificationType.SOS,
      subject: ['incidentId', inc2],
      actor: true,
    },
    {
      name: 'support.alert_raised MISSED_CHECK_IN → CHECK_IN_MISSED to the alerted',
      domain: 'support',
      payload: {
        case: 'supportAlertRaised',
        value: {
          incidentId: inc3,
          kind: IncidentKind.MISSED_CHECK_IN,
          ownerId: A,
          notifiedUserIds: [R],
          version: 1n,
        },
      },
      type: NotificationType.CHECK_IN_MISSED,
      subject: ['incidentId', inc3],
      actor: true,
    },
    {
      name: 'support.escalated of a missed check-in → CHECK_IN_MISSED again',
      domain: 'support',
      payload: {
        case: 'supportEscalated',
        value: { incidentId: inc3, ownerId: A, step: 2, notifiedUserIds: [R], version: 2n },
      },
      type: NotificationType.CHECK_IN_MISSED,
      subject: ['incidentId', inc3],
      actor: true,
    },
    {
      name: 'support.escalated of an SOS → SOS',
      domain: 'support',
      payload: {
        case: 'supportEscalated',
        value: { incidentId: inc2, ownerId: A, step: 2, notifiedUserIds: [R], version: 2n },
      },
      type: NotificationType.SOS,
      subject: ['incidentId', inc2],
      actor: true,
    },
    {
      name: 'support.acknowledged → SUPPORT_ACKNOWLEDGED to the owner',
      domain: 'support',
      payload: {
        case: 'supportAcknowledged',
        value: { incidentId: inc4, ownerId: R, responderId: A, version: 2n },
      },
      type: NotificationType.SUPPORT_ACKNOWLEDGED,
      subject: ['incidentId', inc4],
      actor: true,
    },
    {
      name: 'support.responded → SUPPORT_RESPONSE to the owner',
      domain: 'support',
      payload: {
        case: 'supportResponded',
        value: { incidentId: inc4, ownerId: R, responderId: A, note: 'on my way', version: 3n },
      },
      type: NotificationType.SUPPORT_RESPONSE,
      subject: ['incidentId', inc4],
      actor: true,
    },
    {
      name: 'support.claimed → SUPPORT_CLAIMED to its recipients',
      domain: 'support',
      payload: {
        case: 'supportClaimed',
        value: {
          incidentId: inc1,
          ownerId: id(),
          responderId: A,
          recipientUserIds: [R],
          version: 2n,
        },
      },
      type: NotificationType.SUPPORT_CLAIMED,
      subject: ['incidentId', inc1],
      actor: true,
    },
    {
      name: 'support.note_added → SUPPORT_NOTE to its recipients',
      domain: 'support',
      payload: {
        case: 'supportNoteAdded',
        value: {
          incidentId: inc1,
          ownerId: id(),
          authorId: A,
          text: 'called them',
          recipientUserIds: [R],
          version: 3n,
        },
      },
      type: NotificationType.SUPPORT_NOTE,
      subject: ['incidentId', inc1],
      actor: true,
    },
    {
      name: 'support.resolved → SUPPORT_RESOLVED to its recipients',
      domain: 'support',
      payload: {
        case: 'supportResolved',
        value: {
          incidentId: inc1,
          ownerId: id(),
          resolvedByUserId: A,
          recipientUserIds: [R],
          version: 4n,
        },
      },
      type: NotificationType.SUPPORT_RESOLVED,
      subject: ['incidentId', inc1],
      actor: true,
    },
    {
      name: 'support.duress_cancelled → DURESS_ALERT to its recipients',
      domain: 'support',
      payload: {
        case: 'supportDuressCancelled',
        value: { incidentId: inc2, ownerId: A, recipientUserIds: [R], version: 3n },
      },
      type: NotificationType.DURESS_ALERT,
      subject: ['incidentId', inc2],
      actor: true,
    },
    {
      name: 'support.check_in_requested → CHECK_IN_REQUESTED',
      domain: 'support',
      payload: {
        case: 'supportCheckInRequested',
        value: {
          checkInId: ck1,
          userId: R,
          requestedByUserId: A,
          circleId: circle,
          message: 'home?',
          version: 1n,
        },
      },
      type: NotificationType.CHECK_IN_REQUESTED,
      subject: ['checkInId', ck1],
      actor: true,
    },
    {
      name: 'support.check_in_reminded → CHECK_IN_REMINDER to the owner',
      domain: 'support',
      payload: {
        case: 'supportCheckInReminded',
        value: { checkInId: ck2, userId: R, version: 2n },
      },
      type: NotificationType.CHECK_IN_REMINDER,
      subject: ['checkInId', ck2],
      actor: false,
    },
    {
      name: 'support.check_in_missed → CHECK_IN_MISSED to the owner',
      domain: 'support',
      payload: {
        case: 'supportCheckInMissed',
        value: { checkInId: ck3, userId: R, incidentId: id(), version: 3n },
      },
      type: NotificationType.CHECK_IN_MISSED,
      subject: ['checkInId', ck3],
      actor: false,
    },
    {
      name: 'moderation.content_actioned → MODERATION_ACTION',
      domain: 'moderation',
      payload: {
        case: 'moderationContentActioned',
        value: { actionId: act1, userId: R, statementOfReasons: { explanation: 'spam links' } },
      },
      type: NotificationType.MODERATION_ACTION,
      subject: ['actionId', act1],
      actor: false,
    },
    {
      name: 'moderation.account_actioned with only a strike → MODERATION_ACTION (strike)',
      domain: 'moderation',
      payload: { case: 'moderationAccountActioned', value: { strikeId: strike, userId: R } },
      type: NotificationType.MODERATION_ACTION,
      subject: ['strikeId', strike],
      actor: false,
    },
    {
      name: 'moderation.action_reversed → MODERATION_ACTION',
      domain: 'moderation',
      payload: { case: 'moderationActionReversed', value: { actionId: act2, userId: R } },
      type: NotificationType.MODERATION_ACTION,
      subject: ['actionId', act2],
      actor: false,
    },
    {
      name: 'moderation.report_decided → REPORT_OUTCOME to the reporter',
      domain: 'moderation',
      payload: {
        case: 'moderationReportDecided',
        value: { reportIds: [report], reporterIds: [R], message: 'removed' },
      },
      type: NotificationType.REPORT_OUTCOME,
      subject: ['reportId', report],
      actor: false,
    },
    {
      name: 'moderation.appeal_resolved → APPEAL_DECIDED',
      domain: 'moderation',
      payload: {
        case: 'moderationAppealResolved',
        value: { appealId: appeal, actionId: act1, userId: R, decisionReason: 'upheld' },
      },
      type: NotificationType.APPEAL_DECIDED,
      subject: ['appealId', appeal],
      actor: false,
    },
    {
      name: 'auth.login_succeeded on a new device → SECURITY_ALERT',
      domain: 'auth',
      payload: {
        case: 'authLoginSucceeded',
        value: { userId: R, sessionId: id(), newDevice: true },
      },
      type: NotificationType.SECURITY_ALERT,
      subject: undefined,
      actor: false,
    },
    {
      name: 'auth.password_changed → SECURITY_ALERT',
      domain: 'auth',
      payload: { case: 'authPasswordChanged', value: { userId: R } },
      type: NotificationType.SECURITY_ALERT,
      subject: undefined,
      actor: false,
    },
    {
      name: 'auth.email_changed → SECURITY_ALERT',
      domain: 'auth',
      payload: { case: 'authEmailChanged', value: { userId: R, email: 'new@example.test' } },
      type: NotificationType.SECURITY_ALERT,
      subject: undefined,
      actor: false,
    },
    {
      name: 'auth.mfa_changed → SECURITY_ALERT',
      domain: 'auth',
      payload: { case: 'authMfaChanged', value: { userId: R, change: AuthMfaChange.TOTP_ENABLED } },
      type: NotificationType.SECURITY_ALERT,
      subject: undefined,
      actor: false,
    },
  ];
}

test('every event of the mapping table notifies the recipient it names, with its type, subject and actor', async () => {
  const table = rows();
  for (const row of table) await n.publish(row.domain, row.payload);
  // Events that notify nobody: a sign-in from a known device, an unlisted payload.
  await n.publish('auth', {
    case: 'authLoginSucceeded',
    value: { userId: r.userId, sessionId: uuidv7(), newDevice: false },
  });
  await n.publish('support', {
    case: 'supportLocationStopped',
    value: { incidentId: uuidv7(), ownerId: r.userId, version: 5n },
  });
  // DATA_EXPORT_READY comes from the user service itself, in the export's transaction.
  const exportId = uuidv7();
  await n.app.database.transaction((trx) =>
    notifySystem(trx, n.app, {
      recipientId: r.userId,
      type: NotificationType.DATA_EXPORT_READY,
      subject: { kind: 'dataExportId', id: exportId },
      sourceId: exportId,
    }),
  );
  table.push({
    name: 'the export → DATA_EXPORT_READY',
    domain: 'user',
    payload: { case: 'userErased', value: {} },
    type: NotificationType.DATA_EXPORT_READY,
    subject: ['dataExportId', exportId],
    actor: false,
  });
  for (const domain of ['user', 'post', 'circle', 'support', 'moderation', 'auth'] as const) {
    await n.settle(domain);
  }

  const { groups } = await r.notifications.listNotifications({ pageSize: 100 });
  const unmatched = [...groups];
  for (const row of table) {
    const i = unmatched.findIndex(
      (g) =>
        g.type === row.type &&
        (row.subject
          ? g.subject?.kind.case === row.subject[0] && g.subject.kind.value === row.subject[1]
          : g.subject === undefined),
    );
    assert.ok(i >= 0, `${row.name}: no such group`);
    const group = unmatched.splice(i, 1)[0]!;
    assert.equal(group.filtered, false, row.name);
    assert.equal(group.subject?.withinCircleId ?? '', row.within ?? '', `${row.name}: circle`);
    assert.deepEqual(
      group.sampleActors.map((s) => s.userId),
      row.actor ? [a.userId] : [],
      `${row.name}: actors`,
    );
    if (row.actor) assert.equal(group.sampleActors[0]!.username, a.username);
  }
  assert.deepEqual(unmatched, [], 'nothing else was recorded');
  const covered = new Set(table.map((row) => row.type));
  assert.deepEqual(
    EVERY_TYPE.filter((t) => !covered.has(t)).map((t) => NotificationType[t]),
    [],
    'every notification type has a row',
  );
});

test('a redelivered event records nothing more', async () => {
  const before = (await n.rows(r.userId)).length;
  const postId = uuidv7();
  const liked: EventPayload = {
    case: 'postMentioned',
    value: { postId, authorId: a.userId, mentionedUserId: r.userId },
  };
  await n.publish('post', liked);
  await n.settle('post');
  const rowsAfter = await n.rows(r.userId);
  assert.equal(rowsAfter.length, before + 1);
  const recorded = rowsAfter.at(-1)!;
  // The same event again, as a redelivery past the inbox would apply it.
  const { applyEvent } = await import('./consumers.js');
  const { create } = await import('@bufbuild/protobuf');
  const { EnvelopeSchema } = await import('@kith/gen/kith/events/v1/events_pb.js');
  await n.app.database.transaction((trx) =>
    applyEvent(
      n.app,
      trx,
      create(EnvelopeSchema, { id: recorded.source_event_id, payload: liked }),
      recorded.source_event_id,
    ),
  );
  assert.equal((await n.rows(r.userId)).length, before + 1);
});

test('the events the consumers skip notify nobody, even applied', async () => {
  const { NOTIFIES_NOBODY, applyEvent } = await import('./consumers.js');
  const { create } = await import('@bufbuild/protobuf');
  const { EnvelopeSchema } = await import('@kith/gen/kith/events/v1/events_pb.js');
  const { eventType } = await import('@kith/runtime');
  const incidentId = uuidv7();
  const skipped: EventPayload[] = [
    {
      case: 'supportAlertDelivered',
      value: { incidentId, ownerId: a.userId, responderId: r.userId, version: 2n },
    },
    {
      case: 'supportLocationShared',
      value: {
        incidentId,
        ownerId: a.userId,
        location: { point: { latitude: 52.5, longitude: 13.4 }, accuracyMeters: 10 },
      },
    },
    { case: 'supportLocationStopped', value: { incidentId, ownerId: a.userId, version: 3n } },
  ];
  assert.deepEqual(
    skipped.map((p) => eventType(p.case!)),
    NOTIFIES_NOBODY.support,
    'every skipped support event is tried here',
  );
  const before = (await n.rows(r.userId)).length;
  for (const payload of skipped) {
    await n.app.database.transaction((trx) =>
      applyEvent(n.app, trx, create(EnvelopeSchema, { id: uuidv7(), payload }), uuidv7()),
    );
  }
  assert.equal((await n.rows(r.userId)).length, before);
});
