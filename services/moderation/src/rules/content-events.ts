// The content events the rules look at after publication. Each consumer, in its transaction,
// queues the content for the rule runner (rule-runner.ts: it may call the classifier and the
// owning service, which must not happen inside a transaction) and counts the acting account's
// events for the rate rules. An SOS is never checked; a help request is.
import { SubjectKind } from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import { RateRuleEvent, RuleEffect, RuleScope } from '@kith/gen/kith/moderation/v1/rules_pb.js';
import type { Rule } from '@kith/gen/kith/moderation/v1/rules_pb.js';
import { IncidentKind } from '@kith/gen/kith/support/v1/types_pb.js';
import type { Trx } from '@kith/db';
import { decodeEvent } from '@kith/runtime';
import type { ConsumerSpec } from '@kith/runtime';
import { uuidv7 } from 'uuidv7';
import type { ModerationDatabase } from '../db/schema.js';
import { recordEvents } from '../subjects/record.js';
import { lockSubject } from '../subjects/subject-store.js';
import { ruleSetOf } from './engine.js';
import { hasLink } from './links.js';
import { windowMs } from './rate-window.js';
import { countRateEvent, enabledRules, enqueueRuleJob } from './rule-store.js';

/** Told when content was queued, so the runner starts at once instead of at its next tick. */
export const RULE_JOBS_QUEUED = 'moderation.rule_jobs';

interface Published {
  subject: { kind: SubjectKind; id: string };
  authorId: string;
  scope: RuleScope;
  fields: { field: string; text: string }[];
}

interface Counted {
  event: RateRuleEvent;
  userId: string;
  /** The counted thing (a post, a followee…): a redelivery counts once. */
  ref: string;
  withLink: boolean;
  /** A post or reply a HIDE rate rule hides when it is beyond the limit. */
  post?: Published;
}

const text = (field: string, value: string) => ({ field, text: value });

/** What an event asks of the rules: content to check, an event to count, or nothing. */
function read(data: Uint8Array): { content?: Published; counted?: Counted } {
  const { payload } = decodeEvent(data);
  switch (payload.case) {
    case 'postCreated':
    case 'postCommentCreated': {
      const e = payload.value;
      const reply = payload.case === 'postCommentCreated';
      const content: Published = {
        subject: { kind: SubjectKind.POST, id: e.postId },
        authorId: e.authorId,
        scope: reply ? RuleScope.REPLY : RuleScope.POST,
        fields: [text('text', e.text), text('content_warning', e.contentWarning)],
      };
      return {
        content,
        counted: {
          event: reply ? RateRuleEvent.REPLY_CREATED : RateRuleEvent.POST_CREATED,
          userId: e.authorId,
          ref: e.postId,
          withLink: hasLink(e.text),
          post: content,
        },
      };
    }
    case 'postEdited': {
      const e = payload.value;
      return {
        content: {
          subject: { kind: SubjectKind.POST, id: e.postId },
          authorId: e.authorId,
          scope: e.replyToPostId ? RuleScope.REPLY : RuleScope.POST,
          fields: [text('text', e.text), text('content_warning', e.contentWarning)],
        },
      };
    }
    case 'postLiked':
      return {
        counted: {
          event: RateRuleEvent.LIKE,
          userId: payload.value.userId,
          ref: payload.value.postId,
          withLink: false,
        },
      };
    case 'postReposted':
      return {
        counted: {
          event: RateRuleEvent.REPOST,
          userId: payload.value.userId,
          ref: payload.value.postId,
          withLink: false,
        },
      };
    case 'postMentioned':
      return {
        counted: {
          event: RateRuleEvent.MENTION,
          userId: payload.value.authorId,
          // One per mentioned user and post.
          ref: uuidFrom(payload.value.postId, payload.value.mentionedUserId),
          withLink: false,
        },
      };
    case 'userFollowed':
      return {
        counted: {
          event: RateRuleEvent.FOLLOW,
          userId: payload.value.followerId,
          ref: payload.value.followeeId,
          withLink: false,
        },
      };
    case 'userFollowRequested':
      return {
        counted: {
          event: RateRuleEvent.FOLLOW,
          userId: payload.value.requesterId,
          ref: payload.value.targetId,
          withLink: false,
        },
      };
    case 'userProfileUpdated': {
      const e = payload.value;
      return {
        content: {
          subject: { kind: SubjectKind.USER, id: e.userId },
          authorId: e.userId,
          scope: RuleScope.PROFILE,
          fields: [text('display_name', e.displayName), text('bio', e.bio)],
        },
      };
    }
    case 'circleCreated':
    case 'circleUpdated': {
      const e = payload.value;
      return {
        content: {
          subject: { kind: SubjectKind.CIRCLE, id: e.circleId },
          authorId: e.ownerId,
          scope: RuleScope.CIRCLE,
          fields: [text('name', e.name), text('description', e.description)],
        },
        counted:
          payload.case === 'circleCreated'
            ? {
                event: RateRuleEvent.CIRCLE_CREATED,
                userId: e.ownerId,
                ref: e.circleId,
                withLink: false,
              }
            : undefined,
      };
    }
    case 'supportAlertRaised': {
      const e = payload.value;
      // Help requests only: an SOS or a missed check-in is never checked.
      if (e.kind !== IncidentKind.HELP_REQUEST) return {};
      return {
        content: {
          subject: { kind: SubjectKind.INCIDENT, id: e.incidentId },
          authorId: e.ownerId,
          scope: RuleScope.HELP_REQUEST,
          fields: [text('message', e.message)],
        },
      };
    }
    case 'moderationReportFiled':
      return {
        counted: {
          event: RateRuleEvent.REPORT_FILED,
          userId: payload.value.reporterId,
          ref: payload.value.reportId,
          withLink: false,
        },
      };
    default:
      return {};
  }
}

/** A stable id for a pair of ids (the counted mention). */
function uuidFrom(a: string, b: string): string {
  // The post id with the mentioned user's last 12 hex digits: unique per pair within a post.
  return `${a.slice(0, 24)}${b.slice(-12)}`;
}

async function queue(
  trx: Trx<ModerationDatabase>,
  content: Published,
  now: Date,
  forced?: { ruleId: string; detail: string },
) {
  await enqueueRuleJob(trx, {
    id: uuidv7(),
    subject_kind: content.subject.kind,
    subject_id: content.subject.id,
    author_id: content.authorId,
    scope: content.scope,
    fields: JSON.stringify(content.fields.filter((f) => f.text.trim() !== '')),
    forced_rule_id: forced?.ruleId ?? null,
    forced_detail: forced?.detail ?? '',
    not_before: now,
    created_at: now,
  });
  trx.notifyOnCommit(RULE_JOBS_QUEUED);
}

/** Counts the event for each rate rule it concerns; flags the account when a limit is crossed. */
async function count(trx: Trx<ModerationDatabase>, rules: Rule[], counted: Counted, now: Date) {
  for (const rule of rules) {
    if (rule.condition.case !== 'rate') continue;
    const rate = rule.condition.value;
    if (rate.event !== counted.event || (rate.withLinksOnly && !counted.withLink)) continue;
    const since = new Date(now.getTime() - windowMs(rate));
    const n = await countRateEvent(trx, {
      ruleId: rule.ruleId,
      userId: counted.userId,
      at: now,
      ref: counted.ref,
      since,
    });
    if (n <= rate.maxEvents) continue;
    const detail = `${n} in ${Math.round(windowMs(rate) / 1000)} s (limit ${rate.maxEvents})`;
    if (n === rate.maxEvents + 1) {
      const ref = { kind: SubjectKind.USER, id: counted.userId };
      const row = await lockSubject(trx, ref, now);
      await recordEvents(
        trx,
        ref,
        row,
        [
          {
            actor: { ruleId: rule.ruleId },
            kind: {
              case: 'ruleMatched',
              value: { ruleId: rule.ruleId, detail, shadow: rule.shadow },
            },
          },
        ],
        now,
        { author_id: counted.userId },
      );
    }
    // A HIDE rate rule hides each counted post or reply beyond the limit.
    if (rule.effect === RuleEffect.HIDE && counted.post && !rule.shadow) {
      await queue(trx, counted.post, now, { ruleId: rule.ruleId, detail });
    }
  }
}

/** One consumer per source whose events the rules look at. */
export function contentEventConsumers(clock: () => Date): ConsumerSpec<ModerationDatabase>[] {
  const handle: ConsumerSpec<ModerationDatabase>['handle'] = async (trx, message) => {
    const { content, counted } = read(message.data);
    if (!content && !counted) return;
    const rows = await enabledRules(trx);
    if (rows.length === 0) return;
    const now = clock();
    const { compiled, byId } = ruleSetOf(rows);
    if (content && compiled.some((r) => r.scopes.has(content.scope)))
      await queue(trx, content, now);
    if (counted) await count(trx, [...byId.values()], counted, now);
  };
  return [
    {
      durable: 'moderation-rules-from-post',
      subjects: 'kith.events.post.>',
      ignores: ['post.deleted', 'post.unliked', 'post.unreposted'],
      handle,
    },
    {
      durable: 'moderation-rules-from-user',
      subjects: 'kith.events.user.>',
      ignores: [
        'user.notification_created',
        'user.unfollowed',
        'user.blocked',
        'user.unblocked',
        'user.muted',
        'user.unmuted',
        'user.settings_updated',
        'user.erasure_requested',
        'user.erased',
        'user.export_requested',
      ],
      handle,
    },
    {
      durable: 'moderation-rules-from-circle',
      subjects: 'kith.events.circle.>',
      ignores: [
        'circle.deleted',
        'circle.restored',
        'circle.purged',
        'circle.member_joined',
        'circle.member_left',
        'circle.member_removed',
        'circle.role_changed',
        'circle.safety_role_changed',
        'circle.invite_created',
        'circle.join_requested',
        'circle.post_hidden',
        'circle.post_unhidden',
      ],
      handle,
    },
    {
      durable: 'moderation-rules-from-support',
      subjects: 'kith.events.support.alert_raised',
      handle,
    },
    {
      durable: 'moderation-rules-from-moderation',
      subjects: 'kith.events.moderation.report_filed',
      handle,
    },
  ];
}
