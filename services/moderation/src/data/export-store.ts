import type { Kysely, Selectable } from 'kysely';
import type { ModerationDatabase, ReportsTable, StrikesTable } from '../db/schema.js';
import type { ActionRow, AppealRow } from '../views.js';

type Db = Kysely<ModerationDatabase>;

/** The reports `userId` filed, oldest first. */
export function exportReports(db: Db, userId: string): Promise<Selectable<ReportsTable>[]> {
  return db
    .selectFrom('reports')
    .selectAll()
    .where('reporter_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** The actions taken against `userId` (their account or their content), oldest first. */
export function exportActions(db: Db, userId: string): Promise<ActionRow[]> {
  return db
    .selectFrom('actions')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** `userId`'s strikes, expired ones included, oldest first. */
export function exportStrikes(db: Db, userId: string): Promise<Selectable<StrikesTable>[]> {
  return db
    .selectFrom('strikes')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** The appeals `userId` filed, oldest first. */
export function exportAppeals(db: Db, userId: string): Promise<AppealRow[]> {
  return db
    .selectFrom('appeals')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}
