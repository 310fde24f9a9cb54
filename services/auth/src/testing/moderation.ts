import type { MessageInitShape } from '@bufbuild/protobuf';
import type { OutboxTables } from '@kith/bus';
import { withTables } from '@kith/db';
import type { ModerationEnforcementSchema } from '@kith/gen/kith/events/v1/moderation_events_pb.js';
import type { EventPayload } from '@kith/runtime';
import { waitFor } from '@kith/testkit';
import { onModerationEvents } from '../moderation/on-moderation-events.js';
import type { AuthHarness } from './harness.js';

export type EnforcementInit = MessageInitShape<typeof ModerationEnforcementSchema>;

/**
 * Publishes a moderation event as the moderation service does (an outbox record with source
 * `moderation`, relayed onto the bus) and waits until auth's consumer has handled it, applied
 * or dropped (its inbox row commits with the effect).
 */
export async function publishModerationEvent(h: AuthHarness, payload: EventPayload): Promise<void> {
  const messageId = await h.publishAs('moderation', payload);
  // The host names a consumer's inbox rows after its module and durable.
  const consumer = `auth-${onModerationEvents(h.app).durable}`;
  const inbox = withTables<OutboxTables>(h.app.database.db);
  await waitFor(
    async () =>
      (await inbox
        .selectFrom('inbox')
        .select('message_id')
        .where('consumer', '=', consumer)
        .where('message_id', '=', messageId)
        .executeTakeFirst()) !== undefined,
    { what: `auth to handle ${payload.case}` },
  );
}

/** moderation.account_actioned on `userId`: the account's enforcement after the action. */
export function accountActioned(
  userId: string,
  version: bigint,
  enforcement: EnforcementInit,
): EventPayload {
  return {
    case: 'moderationAccountActioned',
    value: { actionId: crypto.randomUUID(), userId, version, enforcement },
  };
}

/** moderation.action_reversed on a user subject: the enforcement left after the reversal. */
export function accountActionReversed(
  userId: string,
  version: bigint,
  enforcement: EnforcementInit = {},
): EventPayload {
  return {
    case: 'moderationActionReversed',
    value: {
      actionId: crypto.randomUUID(),
      subject: { kind: { case: 'userId', value: userId } },
      userId,
      version,
      enforcement,
    },
  };
}
