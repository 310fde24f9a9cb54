import { fetchPage, NEWEST_FIRST } from '@kith/db';
import type { PageTokenCodec } from '@kith/db';
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { ModerationDatabase, RuleJobsTable, RulesTable } from '../db/schema.js';

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

export async function enqueueRuleJob(db: Db, row: Insertable<RuleJobsTable>): Promise<void> {
  await db.insertInto('rule_jobs').values(row).execute();
}

/**
 * Claims up to `limit` due jobs for `leaseMs` (another runner skips them meanwhile; a runner
 * that dies leaves them due again when the lease ends).
 */
export async function claimRuleJobs(db: Db, now: Date, leaseMs: number, limit: number) {
  return db
    .updateTable('rule_jobs')
    .set((eb) => ({
      not_before: new Date(now.getTime() + leaseMs),
      attempts: eb('attempts', '+', 1),
    }))
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('rule_jobs')
        .select('id')
        .where('not_before', '<=', now)
        .orderBy('not_before')
        .orderBy('id')
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .returningAll()
    .execute();
}

/** Removes a job once done; false when another runner already finished it. */
export async function finishRuleJob(db: Db, id: string): Promise<boolean> {
  const rows = await db.deleteFrom('rule_jobs').where('id', '=', id).returning('id').execute();
  return rows.length > 0;
}
