import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ModerationEnforcement } from '@kith/gen/kith/events/v1/moderation_events_pb.js';
import { ModerationEnforcementSchema } from '@kith/gen/kith/events/v1/moderation_events_pb.js';
import { ActionType } from '@kith/gen/kith/moderation/v1/types_pb.js';
import type { StoredEnforcement } from '../db/schema.js';
import type { ActionRow } from './action-store.js';

/**
 * Every restriction the actions in force put on their subject (moderation_events.proto
 * ModerationEnforcement): a rule's hide is "under review", a moderator's is "hidden"; a
 * suspension lasts until the latest end among those in force, or until lifted when any has none.
 */
export function enforcementOf(active: readonly ActionRow[]): StoredEnforcement {
  const e: StoredEnforcement = {};
  let until: Date | null | undefined;
  for (const a of active) {
    switch (a.type) {
      case ActionType.HIDE_CONTENT:
        if (a.actor_rule_id) e.underReview = true;
        else e.hidden = true;
        break;
      case ActionType.REMOVE_CONTENT:
        e.removed = true;
        break;
      case ActionType.MARK_SENSITIVE:
        e.sensitive = true;
        break;
      case ActionType.LIMIT:
        e.limited = true;
        break;
      case ActionType.SUSPEND:
        e.suspended = true;
        until = until === null || a.expires_at === null ? null : maxDate(until, a.expires_at);
        break;
      case ActionType.BAN:
        e.banned = true;
        break;
      default:
        break;
    }
  }
  if (e.suspended && until) e.suspendedUntil = until.toISOString();
  return e;
}

const maxDate = (a: Date | undefined, b: Date) => (a && a > b ? a : b);

export function enforcementMessage(e: StoredEnforcement): ModerationEnforcement {
  return create(ModerationEnforcementSchema, {
    hidden: e.hidden ?? false,
    removed: e.removed ?? false,
    sensitive: e.sensitive ?? false,
    limited: e.limited ?? false,
    suspended: e.suspended ?? false,
    suspendedUntil: e.suspendedUntil ? timestampFromDate(new Date(e.suspendedUntil)) : undefined,
    banned: e.banned ?? false,
    underReview: e.underReview ?? false,
  });
}
