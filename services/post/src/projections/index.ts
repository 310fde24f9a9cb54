import { timestampDate } from '@bufbuild/protobuf/wkt';
import { decodeEvent } from '@kith/runtime';
import type { ConsumerSpec } from '@kith/runtime';
import type { Envelope } from '@kith/gen/kith/events/v1/events_pb.js';
import type { Trx } from '@kith/db';
import type { PostApp } from '../app.js';
import { homeKey } from '../timelines/home-cache.js';
import type { PostDatabase } from '../db/schema.js';
import { PostDeletionReason } from '@kith/gen/kith/events/v1/post_events_pb.js';
import { softDelete } from '../posts/posts.js';
import {
  applyCircleDeletion,
  applyHide,
  applyMembership,
  postsOnlyIn,
  purgeCircle,
} from './circle-store.js';
import { applyBlock, applyFollow, applyMute } from './graph-store.js';
import { applyProfile, applySettings } from './user-store.js';

/**
 * The circle event types post does not project: the circle's settings (post holds none of
 * them), safety roles (support's), invites and join requests (notifications).
 */
export const IGNORED_CIRCLE_EVENTS = [
  'circle.created',
  'circle.updated',
  'circle.safety_role_changed',
  'circle.invite_created',
  'circle.join_requested',
] as const;

type MembershipEvent = Extract<
  Envelope['payload'],
  {
    case: 'circleMemberJoined' | 'circleRoleChanged' | 'circleMemberLeft' | 'circleMemberRemoved';
  }
>;

/**
 * Whose people changed (a follow, a membership) has their cached home timeline dropped once
 * the change commits: the next read rebuilds it from Postgres with what they now follow.
 */
function dropHomeOnCommit(app: PostApp, trx: Trx<PostDatabase>, userId: string): void {
  trx.onCommit(() => app.ctx.lists.del(homeKey(userId)));
}

/** The member's role (CircleRole) after a membership event: 0 once they left or were removed. */
function roleAfter(payload: MembershipEvent): number {
  switch (payload.case) {
    case 'circleMemberJoined':
      return payload.value.role;
    case 'circleRoleChanged':
      return payload.value.newRole;
    default:
      return 0;
  }
}

/**
 * The consumers that keep post's projections of users, the graph and circles. Every event is
 * applied by the version of its aggregate (a profile, settings, an edge, a membership, a
 * circle, a hide), so neither their order across consumers nor a redelivered or replayed old
 * event matters. User events come one consumer per subject, so none is handed the user events
 * it would only skip (notifications, follow requests, the data sagas'); circle events come on
 * one consumer, which acknowledges the types it does not use without a transaction.
 */
export function postProjections(app: PostApp): ConsumerSpec<PostDatabase>[] {
  return [
    {
      durable: 'profiles-from-user',
      subjects: 'kith.events.user.profile_updated',
      async handle(trx, message) {
        const { payload } = decodeEvent(message.data);
        if (payload.case !== 'userProfileUpdated') return;
        const p = payload.value;
        await applyProfile(trx, {
          userId: p.userId,
          username: p.username,
          displayName: p.displayName,
          avatarUrl: p.avatarUrl,
          locked: p.locked,
          version: p.version,
        });
      },
    },
    {
      durable: 'settings-from-user',
      subjects: 'kith.events.user.settings_updated',
      async handle(trx, message) {
        const { payload } = decodeEvent(message.data);
        if (payload.case !== 'userSettingsUpdated') return;
        const s = payload.value;
        await applySettings(trx, {
          userId: s.userId,
          indexable: s.indexable,
          mentionPolicy: s.mentionPolicy,
          version: s.version,
        });
      },
    },
    ...(['followed', 'unfollowed'] as const).map((kind): ConsumerSpec<PostDatabase> => ({
      durable: `${kind}-from-user`,
      subjects: `kith.events.user.${kind}`,
      async handle(trx, message) {
        const { payload } = decodeEvent(message.data);
        if (payload.case !== 'userFollowed' && payload.case !== 'userUnfollowed') return;
        const { followerId, followeeId, version } = payload.value;
        await applyFollow(trx, {
          fromId: followerId,
          toId: followeeId,
          active: payload.case === 'userFollowed',
          version,
        });
        dropHomeOnCommit(app, trx, followerId);
      },
    })),
    ...(['blocked', 'unblocked'] as const).map((kind): ConsumerSpec<PostDatabase> => ({
      durable: `${kind}-from-user`,
      subjects: `kith.events.user.${kind}`,
      async handle(trx, message) {
        const { payload } = decodeEvent(message.data);
        if (payload.case !== 'userBlocked' && payload.case !== 'userUnblocked') return;
        const { blockerId, blockedId, version } = payload.value;
        await applyBlock(trx, {
          fromId: blockerId,
          toId: blockedId,
          active: payload.case === 'userBlocked',
          version,
        });
      },
    })),
    ...(['muted', 'unmuted'] as const).map((kind): ConsumerSpec<PostDatabase> => ({
      durable: `${kind}-from-user`,
      subjects: `kith.events.user.${kind}`,
      async handle(trx, message) {
        const { payload } = decodeEvent(message.data);
        if (payload.case === 'userMuted') {
          const m = payload.value;
          await applyMute(trx, {
            fromId: m.muterId,
            toId: m.mutedId,
            active: true,
            expiresAt: m.expiresAt ? timestampDate(m.expiresAt) : null,
            version: m.version,
          });
        } else if (payload.case === 'userUnmuted') {
          const m = payload.value;
          await applyMute(trx, {
            fromId: m.muterId,
            toId: m.mutedId,
            active: false,
            expiresAt: null,
            version: m.version,
          });
        }
      },
    })),
    {
      durable: 'circles-from-circle',
      subjects: 'kith.events.circle.>',
      ignores: IGNORED_CIRCLE_EVENTS,
      async handle(trx, message) {
        const event = decodeEvent(message.data);
        const { payload } = event;
        switch (payload.case) {
          case 'circleMemberJoined':
          case 'circleRoleChanged':
          case 'circleMemberLeft':
          case 'circleMemberRemoved': {
            const { circleId, userId, version } = payload.value;
            await applyMembership(trx, { circleId, userId, role: roleAfter(payload), version });
            dropHomeOnCommit(app, trx, userId);
            break;
          }
          case 'circleDeleted':
          case 'circleRestored':
            await applyCircleDeletion(trx, {
              circleId: payload.value.circleId,
              deleted: payload.case === 'circleDeleted',
              version: payload.value.version,
            });
            break;
          case 'circlePurged': {
            const { circleId, version } = payload.value;
            await purgeCircle(trx, circleId, version);
            for (const post of await postsOnlyIn(trx, circleId)) {
              const reason = PostDeletionReason.CIRCLE_DELETED;
              await softDelete(app, trx, post, reason, null, app.clock());
            }
            break;
          }
          case 'circlePostHidden':
          case 'circlePostUnhidden': {
            const { circleId, postId, version } = payload.value;
            const hide =
              payload.case === 'circlePostHidden'
                ? { active: true, reason: payload.value.reason, note: payload.value.note }
                : { active: false, reason: 0, note: '' };
            await applyHide(trx, {
              circleId,
              postId,
              ...hide,
              at: event.occurredAt ? timestampDate(event.occurredAt) : app.clock(),
              version,
            });
            break;
          }
          default:
            // A type this consumer does not know yet: acknowledged, nothing to apply.
            break;
        }
      },
    },
  ];
}
