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

/** Queues a push in the caller's transaction: it is sent only if that transaction commits. */
export async function enqueuePush(
  db: Kysely<PushJobsDb>,
  job: Insertable<PushJobTable>,
): Promise<void> {
  await db.insertInto('push_jobs').values(job).execute();
}
