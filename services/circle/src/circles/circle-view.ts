import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type {
  CirclePreviewSchema,
  CircleSchema,
  MemberSafetySchema,
  MemberSchema,
} from '@kith/gen/kith/circle/v1/types_pb.js';
import { CircleModerationState, CircleRole } from '@kith/gen/kith/circle/v1/types_pb.js';
import type { UserSummarySchema } from '@kith/gen/kith/common/v1/common_pb.js';
import type { CircleRow, MemberRow } from './circle-store.js';

type Summary = MessageInitShape<typeof UserSummarySchema>;

export function safetyMessage(row: MemberRow): MessageInitShape<typeof MemberSafetySchema> {
  return {
    responder: row.responder,
    primaryContact: row.primary_contact,
    quietHoursEnabled: row.quiet_hours_enabled,
    quietHours:
      row.quiet_start_minute === null
        ? undefined
        : {
            startMinute: row.quiet_start_minute,
            endMinute: row.quiet_end_minute ?? 0,
            timeZone: row.quiet_time_zone ?? '',
          },
  };
}

export function memberMessage(
  row: MemberRow,
  user: Summary,
  version: bigint,
): MessageInitShape<typeof MemberSchema> {
  return {
    user,
    role: row.role,
    safety: safetyMessage(row),
    joinedAt: timestampFromDate(row.joined_at),
    version,
  };
}

/**
 * A circle as a member sees it. `withRules` is false in lists (Circle.rules). The moderation
 * state is its OWNER's and ADMINs' to see.
 */
export function circleMessage(
  row: CircleRow,
  membership: MessageInitShape<typeof MemberSchema>,
  options: { withRules: boolean },
): MessageInitShape<typeof CircleSchema> {
  const staff = membership.role === CircleRole.OWNER || membership.role === CircleRole.ADMIN;
  return {
    circleId: row.id,
    name: row.name,
    description: row.description,
    avatarMediaId: row.avatar_media_id ?? '',
    avatarUrl: row.avatar_url,
    joinRule: row.join_rule,
    memberCap: row.member_cap,
    discoverable: row.discoverable,
    memberCount: row.member_count,
    ownerId: row.owner_id,
    rules: options.withRules ? row.rules : [],
    createdAt: timestampFromDate(row.created_at),
    updatedAt: timestampFromDate(row.updated_at),
    membership,
    version: BigInt(row.version),
    rulesVersion: row.rules_version,
    deletedAt: row.deleted_at ? timestampFromDate(row.deleted_at) : undefined,
    purgeAt: row.purge_at ? timestampFromDate(row.purge_at) : undefined,
    moderationState: staff ? row.moderation_state : CircleModerationState.UNSPECIFIED,
  };
}

/** A circle's public face (a discoverable circle to a non-member). */
export function previewMessage(
  row: CircleRow,
  caller: { member: boolean; pendingJoinRequestId?: string },
): MessageInitShape<typeof CirclePreviewSchema> {
  return {
    circleId: row.id,
    name: row.name,
    description: row.description,
    avatarUrl: row.avatar_url,
    memberCount: row.member_count,
    joinRule: row.join_rule,
    member: caller.member,
    pendingJoinRequestId: caller.pendingJoinRequestId ?? '',
  };
}
