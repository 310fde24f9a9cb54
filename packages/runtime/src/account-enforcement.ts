import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { Envelope } from '@kith/gen/kith/events/v1/events_pb.js';

/** What moderation enforces on an account (moderation_events.proto ModerationEnforcement). */
export interface AccountEnforcement {
  limited: boolean;
  suspended: boolean;
  /** While suspended: when it ends; null = until lifted. */
  suspendedUntil: Date | null;
  banned: boolean;
}

/**
 * The account enforcement an event carries, for the services that apply it by the account's
 * version (auth, the user service): moderation.account_actioned, and action_reversed on a user
 * subject. Undefined for every other event.
 */
export function accountEnforcementOf(
  payload: Envelope['payload'],
): { userId: string; version: bigint; enforcement: AccountEnforcement } | undefined {
  let userId: string;
  if (payload.case === 'moderationAccountActioned') {
    userId = payload.value.userId;
  } else if (
    payload.case === 'moderationActionReversed' &&
    payload.value.subject?.kind.case === 'userId'
  ) {
    userId = payload.value.subject.kind.value;
  } else {
    return undefined;
  }
  const e = payload.value.enforcement;
  return {
    userId,
    version: payload.value.version,
    enforcement: {
      limited: e?.limited ?? false,
      suspended: e?.suspended ?? false,
      suspendedUntil: e?.suspendedUntil ? timestampDate(e.suspendedUntil) : null,
      banned: e?.banned ?? false,
    },
  };
}
