import type { Kysely } from 'kysely';
import type { ModerationDatabase } from '../db/schema.js';

type Db = Kysely<ModerationDatabase>;

/** Records a user's platform role as last seen (auth's event, or the user's own staff call). */
export async function saveRole(db: Db, userId: string, role: string, at: Date): Promise<void> {
  await db
    .insertInto('staff')
    .values({ user_id: userId, role, updated_at: at })
    .onConflict((oc) =>
      oc
        .column('user_id')
        .doUpdateSet({ role, updated_at: at })
        .where('staff.updated_at', '<=', at),
    )
    .execute();
}

export async function roleOf(db: Db, userId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('staff')
    .select('role')
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row?.role;
}
