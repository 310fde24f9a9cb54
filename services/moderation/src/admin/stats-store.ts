import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { ModerationDatabase } from '../db/schema.js';

type Db = Kysely<ModerationDatabase>;

/** GetStats' figures: pending ones now, the rest over [since, until). */
export async function statsFigures(db: Db, now: Date, since: Date, until: Date) {
  const pending = await db
    .selectFrom('subjects')
    .select([
      sql<string>`count(*)`.as('pending'),
      sql<string>`count(*) filter (where sos_related)`.as('sos'),
      sql<Date | null>`min(coalesce(first_reported_at, opened_at))`.as('oldest'),
    ])
    .where('status', 'in', [1, 2, 3])
    .executeTakeFirstOrThrow();
  const reports = await db
    .selectFrom('reports')
    .select(sql<string>`count(*)`.as('n'))
    .where('created_at', '>=', since)
    .where('created_at', '<', until)
    .executeTakeFirstOrThrow();
  const closed = await db
    .selectFrom('subjects')
    .select([
      sql<string>`count(*)`.as('closed'),
      sql<string>`count(*) filter (where status = 4)`.as('actioned'),
      sql<
        number | null
      >`percentile_cont(0.5) within group (order by extract(epoch from closed_at - opened_at))`.as(
        'median',
      ),
      sql<
        number | null
      >`percentile_cont(0.9) within group (order by extract(epoch from closed_at - opened_at))`.as(
        'p90',
      ),
    ])
    .where('status', 'in', [4, 5])
    .where('closed_at', '>=', since)
    .where('closed_at', '<', until)
    .where('opened_at', 'is not', null)
    .executeTakeFirstOrThrow();
  const appeals = await db
    .selectFrom('appeals')
    .select([
      sql<string>`count(*) filter (where status = 1)`.as('pending'),
      sql<string>`count(*) filter (where status in (2, 3) and decided_at >= ${since} and decided_at < ${until})`.as(
        'decided',
      ),
      sql<string>`count(*) filter (where status = 3 and decided_at >= ${since} and decided_at < ${until})`.as(
        'overturned',
      ),
    ])
    .executeTakeFirstOrThrow();
  return {
    pending: Number(pending.pending),
    pendingSos: Number(pending.sos),
    oldestPendingMs: pending.oldest ? now.getTime() - new Date(pending.oldest).getTime() : 0,
    reportsReceived: Number(reports.n),
    closed: Number(closed.closed),
    actioned: Number(closed.actioned),
    medianSeconds: closed.median === null ? 0 : Number(closed.median),
    p90Seconds: closed.p90 === null ? 0 : Number(closed.p90),
    appealsPending: Number(appeals.pending),
    appealsDecided: Number(appeals.decided),
    appealsOverturned: Number(appeals.overturned),
  };
}
