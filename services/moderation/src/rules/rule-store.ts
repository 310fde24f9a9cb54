import { fetchPage, NEWEST_FIRST } from '@kith/db';
import type { PageTokenCodec } from '@kith/db';
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { ModerationDatabase, RulesTable } from '../db/schema.js';

type Db = Kysely<ModerationDatabase>;
export type RuleRow = Selectable<RulesTable>;

export async function insertRule(db: Db, row: Insertable<RulesTable>): Promise<RuleRow> {
  return db.insertInto('rules').values(row).returningAll().executeTakeFirstOrThrow();
}

/** A rule that is not deleted, locked when `lock`. */
export async function findRule(db: Db, id: string, lock = false) {
  let query = db
    .selectFrom('rules')
    .selectAll()
    .where('id', '=', id)
    .where('deleted_at', 'is', null);
  if (lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function updateRule(db: Db, id: string, patch: Updateable<RulesTable>) {
  return db
    .updateTable('rules')
    .set(patch)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function rulesPage(
  db: Db,
  enabledOnly: boolean,
  page: { pageSize: number; pageToken: string; codec: PageTokenCodec; binding: string },
) {
  let query = db.selectFrom('rules').selectAll().where('deleted_at', 'is', null);
  if (enabledOnly) query = query.where('enabled', '=', true);
  return fetchPage(query, {
    columns: NEWEST_FIRST,
    ...page,
    keysOf: (row) => [row.created_at.toISOString()],
    idOf: (row) => row.id,
  });
}

/** Every enabled rule (the evaluator's set). */
export async function enabledRules(db: Db): Promise<RuleRow[]> {
  return db
    .selectFrom('rules')
    .selectAll()
    .where('deleted_at', 'is', null)
    .where('enabled', '=', true)
    .execute();
}

/**
 * Counts one event of `userId` for a rate rule (once per `ref`) and answers how many it has
 * counted since `since`, this one included; counts older than `since` are pruned.
 */
export async function countRateEvent(
  db: Db,
  q: { ruleId: string; userId: string; at: Date; ref: string; since: Date },
): Promise<number> {
  await db
    .deleteFrom('rate_counts')
    .where('rule_id', '=', q.ruleId)
    .where('user_id', '=', q.userId)
    .where('at', '<=', q.since)
    .execute();
  await db
    .insertInto('rate_counts')
    .values({ rule_id: q.ruleId, user_id: q.userId, at: q.at, ref: q.ref })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const row = await db
    .selectFrom('rate_counts')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('rule_id', '=', q.ruleId)
    .where('user_id', '=', q.userId)
    .where('at', '>', q.since)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
