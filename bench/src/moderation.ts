// The staff queue (ModerationAdminService.ListQueue) over a large queue, in embedded mode (one
// process, PGlite, the local bus) and in distributed mode (auth, user and moderation as their own
// processes over Postgres, NATS JetStream and Redis), in one run. `--subjects` subjects are written
// straight into moderation's `subjects` table (mostly OPEN, the rest ACKNOWLEDGED, ESCALATED,
// ACTIONED or DISMISSED), then each scenario is p50 / p99 / max of one call at a time, in binary,
// after a warm-up, by triage staff, beside GetJwks (the trivial public read) timed the same way:
// the first page of the default queue, a page deep in it, a narrow filter, SOS-related only,
// unassigned only, and a tag.
//   pnpm bench:moderation [-- --mode embedded|distributed|both --subjects 100000 --calls 300
//                            --explain]
// Beside each scenario: one EXPLAIN ANALYZE of its query in the same database (execution time,
// the scans with the rows they read); --explain prints the full plans too.
// Distributed mode needs DATABASE_URL, NATS_URL and REDIS_URL (the local defaults otherwise) and
// deletes the KITH_EVENTS stream of that NATS server first (user-setups.ts says why).
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { createClient } from '@connectrpc/connect';
import type { Client } from '@connectrpc/connect';
import { AuthService } from '@kith/gen/kith/auth/v1/auth_pb.js';
import type { ListQueueRequestSchema } from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import {
  ModerationAdminService,
  SubjectKind,
} from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import type { QueueItem } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { ReportCategory, SubjectStatus } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { sql } from 'kysely';
import type { RawBuilder } from 'kysely';
import { benchArgs } from './args.js';
import { percentile } from './percentile.js';
import { benchTransport, setupFor } from './user-setups.js';
import type { Setup } from './user-setups.js';

const { values } = parseArgs({
  args: benchArgs(),
  options: {
    mode: { type: 'string', default: 'both' },
    subjects: { type: 'string', default: '100000' },
    calls: { type: 'string', default: '300' },
    explain: { type: 'boolean', default: false },
  },
});
const subjectCount = Number(values.subjects);
const calls = Number(values.calls);
const modes = values.mode === 'both' ? ['embedded', 'distributed'] : [values.mode!];
if (!modes.every((mode) => mode === 'embedded' || mode === 'distributed')) {
  throw new Error('--mode is embedded, distributed or both');
}

const GOAL_MS = 20;
/** Pages followed before the deep scenario's timed pages. */
const DEEP_PAGES = 50;
/** Staff callers, each from its own address: 600 calls a minute per user is the limit. */
const STAFF = 48;
const TAG = 'spam-wave';

/**
 * Categories weighted by how often they are reported (SPAM 28 %, HARASSMENT 22 %, …): a
 * subject's first category is a random element, a quarter of the subjects get a second one.
 */
const WEIGHTED_CATEGORIES = (
  [
    [ReportCategory.SPAM, 28],
    [ReportCategory.HARASSMENT, 22],
    [ReportCategory.HATE, 8],
    [ReportCategory.DOXXING, 4],
    [ReportCategory.NCII, 2],
    [ReportCategory.SELF_HARM, 3],
    [ReportCategory.VIOLENCE, 6],
    [ReportCategory.IMPERSONATION, 6],
    [ReportCategory.BAN_EVASION, 3],
    [ReportCategory.CHILD_SAFETY, 1],
    [ReportCategory.ILLEGAL, 4],
    [ReportCategory.SAFETY_FEATURE_ABUSE, 3],
    [ReportCategory.OTHER, 10],
  ] as const
).flatMap(([category, weight]) => Array<number>(weight).fill(category));
const URGENT = [ReportCategory.CHILD_SAFETY, ReportCategory.NCII, ReportCategory.SELF_HARM];

const smallints = (xs: readonly number[]) => sql.raw(`'{${xs.join(',')}}'::smallint[]`);

/**
 * `--subjects` subjects in one INSERT … SELECT over generate_series (PGlite takes 100k rows in
 * seconds this way), then ANALYZE. The random draws are materialised once per row, so the
 * priority is computed from the same draws as the columns it depends on.
 */
async function seedSubjects(setup: Setup) {
  const moderation = setup.db('moderation');
  const assignees = Array.from({ length: 8 }, () => crypto.randomUUID());
  const S = SubjectStatus;
  const K = SubjectKind;
  await sql`select setseed(0.21)`.execute(moderation.db);
  await sql`
    with draws as materialized (
      select i, random() r_kind, random() r_status, random() r_sos, random() r_cat,
             random() r_cat2, random() r_cat3, random() r_reporters, random() r_first,
             random() r_last, random() r_tag, random() r_assign, random() r_who, random() r_override
      from generate_series(1, ${subjectCount}::int) i
    ), shaped as (
      select *,
        case when r_kind < 0.2 then ${K.USER}::smallint when r_kind < 0.8 then ${K.POST}::smallint
             when r_kind < 0.9 then ${K.CIRCLE}::smallint else ${K.INCIDENT}::smallint end kind,
        case when r_status < 0.86 then ${S.OPEN}::smallint
             when r_status < 0.91 then ${S.ACKNOWLEDGED}::smallint
             when r_status < 0.95 then ${S.ESCALATED}::smallint
             when r_status < 0.975 then ${S.ACTIONED}::smallint
             else ${S.DISMISSED}::smallint end status,
        (${smallints(WEIGHTED_CATEGORIES)})[1 + floor(r_cat * ${WEIGHTED_CATEGORIES.length})::int] c1,
        (${smallints(WEIGHTED_CATEGORIES)})[1 + floor(r_cat3 * ${WEIGHTED_CATEGORIES.length})::int] c2,
        -- Mostly one reporter, a long tail of many (about 1.5 % have 7 or more).
        least(40, 1 + floor(-ln(1 - r_reporters) * 1.2)::int) reporters,
        now() - r_first * interval '30 days' first_at
      from draws
    ), categorised as (
      select *,
        (kind in (${K.USER}, ${K.INCIDENT}) and r_sos < 0.15) or (kind = ${K.POST} and r_sos < 0.01) sos,
        case when r_cat2 < 0.25 and c2 <> c1 then array[least(c1, c2), greatest(c1, c2)]
             else array[c1] end categories
      from shaped
    ), prioritised as (
      -- computedPriority of services/moderation/src/subjects/priority.ts, band for band:
      -- SOS-related 90..100, child safety / NCII / self-harm 70..89, the rest 20..69, each
      -- further reporter adding within the band.
      select *,
        case when sos then 90 + least(10, reporters - 1)
             when categories && ${smallints(URGENT)} then 70 + least(19, (reporters - 1) * 2)
             else least(69, 20 + (reporters - 1) * 5) end computed,
        case when r_override < 0.005 then 95 end override
      from categorised
    )
    insert into ${moderation.table('subjects')} (kind, id, status, assignee_id, tags,
      computed_priority, priority_override, priority, queue_rank, sos_related, report_count, reporter_count,
      categories, first_reported_at, last_reported_at, opened_at, closed_at, updated_at)
    select kind, gen_random_uuid(), status,
      case when status = ${S.ACKNOWLEDGED}
             or (status = ${S.ESCALATED} and r_assign < 0.5)
             or (status = ${S.OPEN} and r_assign < 0.04)
             or (status in (${S.ACTIONED}, ${S.DISMISSED}) and r_assign < 0.8)
           then (${sql.raw(`'{${assignees.join(',')}}'::uuid[]`)})[1 + floor(r_who * 8)::int] end,
      case when r_tag < 0.04 then '{lang:de}'::text[] when r_tag < 0.06 then '{${sql.raw(TAG)}}'
           when r_tag < 0.07 then '{lang:fr,legal}' when r_tag < 0.08 then '{lang:fr}'
           else '{}' end,
      computed, override, coalesce(override, computed), 100 - coalesce(override, computed), sos,
      reporters, reporters, categories,
      first_at, first_at + (now() - first_at) * r_last * r_last, first_at,
      case when status in (${S.ACTIONED}, ${S.DISMISSED}) then first_at + (now() - first_at) * 0.9 end,
      now()
    from prioritised`.execute(moderation.db);
  await sql`analyze ${moderation.table('subjects')}`.execute(moderation.db);
  const { rows } = await sql<{ status: number; n: string }>`
    select status, count(*) n from ${moderation.table('subjects')} group by status order by status`.execute(
    moderation.db,
  );
  return new Map(rows.map((r) => [Number(r.status), Number(r.n)]));
}

type QueueRequest = MessageInitShape<typeof ListQueueRequestSchema>;

/** Where a page ended, as ListQueue's page token holds it. */
interface Cursor {
  priority: number;
  firstReportedAt: Date;
  id: string;
}

const cursorOf = (item: QueueItem): Cursor => {
  const subject = item.subject!.kind;
  return {
    priority: item.priority,
    firstReportedAt: timestampDate(item.firstReportedAt!),
    id: subject.value!,
  };
};

/**
 * The query ListQueue runs for `req`'s first status (the largest range: ListQueue reads one
 * range per status and merges them), for EXPLAIN: services/moderation/src/subjects/
 * subject-store.ts `queuePage` with @kith/db `paginate`'s row comparison after a cursor. Keep
 * the two alike.
 */
function queueSql(schemaTable: RawBuilder<unknown>, req: QueueRequest, after?: Cursor) {
  const status = req.statuses?.length ? req.statuses[0]! : SubjectStatus.OPEN;
  const where = [sql`status = ${sql.lit(status)}`, sql`first_reported_at is not null`];
  if (req.kinds?.length) where.push(sql`kind in (${sql.join(req.kinds.map((k) => sql.lit(k)))})`);
  if (req.categories?.length) where.push(sql`categories && ${smallints(req.categories)}`);
  if (req.minPriority) where.push(sql`queue_rank <= ${sql.lit(100 - req.minPriority)}`);
  if (req.sosRelatedOnly) where.push(sql`sos_related = true`);
  if (req.unassignedOnly) where.push(sql`assignee_id is null`);
  if (req.tags?.length) {
    where.push(sql`tags && ${sql.raw(`'{${req.tags.join(',')}}'::text[]`)}`);
  }
  if (after) {
    where.push(sql`(queue_rank, first_reported_at, id) > (${sql.lit(100 - after.priority)},
      ${sql.lit(after.firstReportedAt.toISOString())}, ${sql.lit(after.id)})`);
  }
  return sql`select * from ${schemaTable} where ${sql.join(where, sql` and `)}
    order by queue_rank asc, first_reported_at asc, id asc limit 21`;
}

/** What EXPLAIN (ANALYZE, FORMAT JSON) gives of a plan node (the fields read here). */
interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Sort Method'?: string;
  Plans?: PlanNode[];
}
interface PlanRoot {
  Plan: PlanNode;
  'Execution Time': number;
}

/**
 * The scans of a plan with the rows each read, and whether it sorted: "Seq Scan 100000 rows
 * read, then sorted".
 */
function planSummary(plan: PlanNode): string {
  const scans: string[] = [];
  let sorted = false;
  const visit = (node: PlanNode) => {
    if (node['Sort Method']) sorted = true;
    if (node['Node Type'].includes('Scan') && node['Node Type'] !== 'Subquery Scan') {
      const read =
        (node['Actual Rows'] + (node['Rows Removed by Filter'] ?? 0)) * node['Actual Loops'];
      const index = node['Index Name'] ? ` ${node['Index Name']}` : '';
      scans.push(`${node['Node Type']}${index} ${Math.round(read)}`);
    }
    for (const child of node.Plans ?? []) visit(child);
  };
  visit(plan);
  return `${scans.join(', ')} rows read${sorted ? ', then sorted' : ''}`;
}

interface Row {
  name: string;
  /** Items on the last page fetched (a check that the filter found something). */
  items: number;
  p50: number;
  p99: number;
  max: number;
  request: QueueRequest;
  after?: Cursor;
}

/** p50 / p99 / max of `count` calls of `call`, one at a time, after a warm-up. */
async function time(count: number, call: () => Promise<number>) {
  for (let i = 0; i < Math.max(20, count / 10); i++) await call();
  const timings = new Float64Array(count);
  let items = 0;
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    items = await call();
    timings[i] = performance.now() - start;
  }
  timings.sort();
  return {
    items,
    p50: percentile(timings, 50),
    p99: percentile(timings, 99),
    max: timings[timings.length - 1]!,
  };
}

async function measure(setup: Setup): Promise<{ lines: string[]; worst: Row }> {
  const seedStart = performance.now();
  const byStatus = await seedSubjects(setup);
  const seedSeconds = (performance.now() - seedStart) / 1000;
  const staff: Client<typeof ModerationAdminService>[] = [];
  for (let i = 0; i < STAFF; i++) {
    const ip = `10.21.${Math.floor(i / 200)}.${(i % 200) + 1}`;
    const { accessToken } = await setup.signUp(ip, 'triage');
    staff.push(
      createClient(
        ModerationAdminService,
        benchTransport(setup.urlOf('moderation'), accessToken, ip),
      ),
    );
  }
  await setup.settle();
  let turn = 0;
  const caller = () => staff[turn++ % staff.length]!;
  const auth = createClient(AuthService, benchTransport(setup.authUrl, '', '10.21.9.1'));
  const jwks = await time(calls, async () => (await auth.getJwks({})).keys.length);

  const rows: Row[] = [];
  const scenario = async (name: string, request: QueueRequest) => {
    const r = await time(calls, async () => (await caller().listQueue(request)).items.length);
    rows.push({ name, request, ...r });
  };
  const defaultQueue: QueueRequest = {};
  await scenario('first page, default (OPEN+ESCALATED, 20)', defaultQueue);

  // Deep: 50 pages followed, then each timed call the next page after the one before it (back
  // to page 51 should the queue end).
  let token = '';
  let last: QueueItem | undefined;
  for (let page = 0; page < DEEP_PAGES; page++) {
    const answer = await caller().listQueue({ pageToken: token });
    token = answer.nextPageToken;
    last = answer.items.at(-1);
  }
  const deepStart = { token, after: cursorOf(last!) };
  let next = token;
  const deep = await time(calls, async () => {
    const answer = await caller().listQueue({ pageToken: next });
    next = answer.nextPageToken || deepStart.token;
    return answer.items.length;
  });
  rows.push({
    name: `page ${DEEP_PAGES + 1}+, default (after ${DEEP_PAGES} pages)`,
    request: defaultQueue,
    after: deepStart.after,
    ...deep,
  });

  await scenario('POST · HARASSMENT · priority ≥ 50', {
    kinds: [SubjectKind.POST],
    categories: [ReportCategory.HARASSMENT],
    minPriority: 50,
  });
  await scenario('sos_related_only', { sosRelatedOnly: true });
  await scenario('unassigned_only', { unassignedOnly: true });
  await scenario(`tags=[${TAG}]`, { tags: [TAG] });

  const worst = rows.reduce((a, b) => (b.p99 > a.p99 ? b : a));
  const moderation = setup.db('moderation');
  const plans = [];
  for (const row of rows) {
    const query = queueSql(moderation.table('subjects'), row.request, row.after);
    const { rows: json } = await sql<{
      'QUERY PLAN': [PlanRoot];
    }>`explain (analyze, format json) ${query}`.execute(moderation.db);
    const text = values.explain
      ? (await sql<{ 'QUERY PLAN': string }>`explain (analyze) ${query}`.execute(moderation.db))
          .rows
      : [];
    plans.push({ row, root: json[0]!['QUERY PLAN'][0], text: text.map((t) => t['QUERY PLAN']) });
  }

  const fmt = (x: number) => x.toFixed(2).padStart(8);
  const open = byStatus.get(SubjectStatus.OPEN) ?? 0;
  const queued = open + (byStatus.get(SubjectStatus.ESCALATED) ?? 0);
  const lines = [
    `\n${setup.mode}: ${subjectCount} subjects (${open} OPEN, ${queued} OPEN+ESCALATED) seeded in ` +
      `${seedSeconds.toFixed(1)} s; ${calls} calls each, one at a time, Node ${process.version}`,
    'query ms and plan: one EXPLAIN ANALYZE of the same query in the same database\n',
    'scenario                                    items    p50 ms    p99 ms    max ms  query ms  plan',
    `${'GetJwks (trivial public read)'.padEnd(42)} ${String(jwks.items).padStart(6)}  ${fmt(jwks.p50)}  ${fmt(jwks.p99)}  ${fmt(jwks.max)}`,
    ...plans.map(
      ({ row: r, root }) =>
        `${r.name.padEnd(42)} ${String(r.items).padStart(6)}  ${fmt(r.p50)}  ${fmt(r.p99)}  ${fmt(r.max)}  ${fmt(root['Execution Time'])}  ${planSummary(root.Plan)}`,
    ),
  ];
  for (const { row, text } of plans.filter((p) => p.text.length)) {
    lines.push(`\nplan, ${row.name}:`, ...text.map((t) => `  ${t}`));
  }
  return { lines, worst };
}

const report: string[] = [];
const verdicts: string[] = [];
for (const mode of modes) {
  const setup = await setupFor(mode, ['moderation']);
  try {
    const { lines, worst } = await measure(setup);
    report.push(...lines);
    verdicts.push(
      `${mode} ${worst.p99.toFixed(2)} ms ${worst.p99 <= GOAL_MS ? 'met' : 'MISSED'} (worst: ${worst.name})`,
    );
  } finally {
    await setup.stop();
  }
}
report.push(
  `\nListQueue p99 ≤ ${GOAL_MS} ms with ${subjectCount / 1000}k open subjects: ${verdicts.join('; ')}`,
);
console.log(report.join('\n'));
