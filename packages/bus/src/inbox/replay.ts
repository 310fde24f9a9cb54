import { withTables } from '@kith/db';
import type { Database } from '@kith/db';
import type { OutboxTables } from '../outbox/outbox-schema.js';
import type { Bus } from '../types.js';

export class DeadLetterNotFoundError extends Error {
  constructor(id: string) {
    super(`no unreplayed dead letter ${id}`);
    this.name = 'DeadLetterNotFoundError';
  }
}

/**
 * Operator action: publishes a dead letter again and marks it replayed. The message keeps
 * its id, so consumers that already applied it skip it through their inbox, while the
 * consumer that dead-lettered it (no inbox row: its transaction rolled back) applies it.
 * A per-replay dedup key gets it past the broker's dedup of that id.
 */
export async function replayDeadLetter<DB>(
  database: Database<DB>,
  bus: Bus,
  id: string,
): Promise<void> {
  const db = withTables<OutboxTables>(database.db);
  const row = await db
    .selectFrom('dead_letters')
    .select(['id', 'message_id', 'subject', 'data', 'headers'])
    .where('id', '=', id)
    .where('replayed_at', 'is', null)
    .executeTakeFirst();
  if (!row) throw new DeadLetterNotFoundError(id);
  await bus.publish(
    {
      id: row.message_id,
      subject: row.subject,
      data: new Uint8Array(row.data),
      headers: { ...row.headers, 'Kith-Replay-Of': row.id },
    },
    { dedupKey: `${row.message_id}:replay:${row.id}` },
  );
  // Publishing first: a crash here leaves the row open, and a second replay is deduped.
  await db
    .updateTable('dead_letters')
    .set({ replayed_at: new Date() })
    .where('id', '=', id)
    .where('replayed_at', 'is', null)
    .execute();
}
