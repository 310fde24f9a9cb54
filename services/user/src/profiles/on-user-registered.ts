import type { ConsumerSpec } from '@kith/runtime';
import { decodeEvent } from '@kith/runtime';
import type { Kysely } from 'kysely';
import type { ProfileTable } from './profile-table.js';

/**
 * Creates the profile of a newly registered account. It runs inside the consumer's inbox
 * transaction, so a redelivered event is skipped before this runs; the insert is deliberately
 * plain (no ON CONFLICT) so a second application would fail loudly rather than pass unseen.
 */
export const onUserRegistered: ConsumerSpec = {
  durable: 'profiles-from-registrations',
  subjects: 'kith.events.auth.user_registered',
  async handle(trx, message) {
    const envelope = decodeEvent(message.data);
    if (envelope.payload.case !== 'authUserRegistered') return;
    const event = envelope.payload.value;
    const db = trx as unknown as Kysely<{ profiles: ProfileTable }>;
    await db
      .insertInto('profiles')
      .values({
        user_id: event.userId,
        username: event.username,
        display_name: event.username,
        locale: event.locale,
        deleted_at: null,
      })
      .execute();
  },
};
