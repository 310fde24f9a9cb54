import type { Insertable, Kysely, Selectable } from 'kysely';
import type { IncidentExportsTable, SupportDatabase } from '../db/schema.js';

type Db = Kysely<SupportDatabase>;

export type ExportRow = Selectable<IncidentExportsTable>;

export async function insertExport(db: Db, row: Insertable<IncidentExportsTable>): Promise<void> {
  await db.insertInto('incident_exports').values(row).execute();
}

/** How many of the owner's exports still wait for their download at `now`. */
export async function countWaitingExports(db: Db, ownerId: string, now: Date): Promise<number> {
  const row = await db
    .selectFrom('incident_exports')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('owner_id', '=', ownerId)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The export, locked for the transaction. */
export async function lockExport(db: Db, exportId: string): Promise<ExportRow | undefined> {
  return db
    .selectFrom('incident_exports')
    .selectAll()
    .where('id', '=', exportId)
    .forUpdate()
    .executeTakeFirst();
}

export async function markExportUsed(db: Db, exportId: string, at: Date): Promise<void> {
  await db
    .updateTable('incident_exports')
    .set({ used_at: at })
    .where('id', '=', exportId)
    .execute();
}

export async function deleteExport(db: Db, exportId: string): Promise<void> {
  await db.deleteFrom('incident_exports').where('id', '=', exportId).execute();
}

/** Exports whose file is to go: downloaded, or past their link at `now`. */
export async function finishedExports(
  db: Db,
  now: Date,
  limit: number,
): Promise<Pick<ExportRow, 'id' | 'object_key'>[]> {
  return db
    .selectFrom('incident_exports')
    .select(['id', 'object_key'])
    .where((eb) => eb.or([eb('used_at', 'is not', null), eb('expires_at', '<=', now)]))
    .orderBy('expires_at')
    .limit(limit)
    .execute();
}
