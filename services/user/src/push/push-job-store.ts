import type { Generated, Insertable, Kysely } from 'kysely';

/**
 * A push the notifications area decided to send (preferences, quiet hours and mutes already
 * applied); the push worker fans it out to the recipient's devices.
 */
export interface PushJobTable {
  id: string;
  notification_id: string;
  recipient_id: string;
  notification_type: number;
  title: string;
  body: string;
  data: Generated<Record<string, string>>;
  critical: Generated<boolean>;
  time_sensitive: Generated<boolean>;
  created_at: Generated<Date>;
}

export interface PushJobsDb {
  push_jobs: PushJobTable;
}

/** Queues pushes in the caller's transaction: they are sent only if that transaction commits. */
export async function enqueuePushes(
  db: Kysely<PushJobsDb>,
  jobs: readonly Insertable<PushJobTable>[],
): Promise<void> {
  if (jobs.length === 0) return;
  await db
    .insertInto('push_jobs')
    .values([...jobs])
    .execute();
}
