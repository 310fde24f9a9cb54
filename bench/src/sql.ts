// Building and compiling SQL for a service schema: Kysely's `withSchema` (the whole operation
// tree rewritten before every compile) beside @kith/db's schema compiler (the schema written
// into table names during the compile; ADR 0027), interleaved round by round, for:
// 1. a statement of ListMyCircles's shape: 30 columns over three joined tables, keyset paging;
// 2. a point read (one table, a few columns, by id);
// 3. an upsert (insert … on conflict do update … returning).
// Each figure is the median of 7 rounds of `--calls` build + compile pairs after a warm-up.
//   pnpm bench:sql [-- --calls 20000]
import { parseArgs } from 'node:util';
import { compileOnlyDialect, schemaQualifiedDialect } from '@kith/db';
import { Kysely, sql } from 'kysely';
import { benchArgs } from './args.js';

const { values } = parseArgs({
  args: benchArgs(),
  options: { calls: { type: 'string', default: '20000' } },
});
const calls = Number(values.calls);

interface Db {
  circles: Record<string, unknown> & { id: string; active_at: Date; deleted_at: Date | null };
  members: Record<string, unknown> & { circle_id: string; user_id: string; role: number };
  membership_versions: { circle_id: string; user_id: string; version: string };
}

const postgres = compileOnlyDialect();
const plugin = new Kysely<Db>({ dialect: postgres }).withSchema('circle');
const compiler = new Kysely<Db>({ dialect: schemaQualifiedDialect(postgres, 'circle') });

const circleColumns = [
  'id',
  'owner_id',
  'name',
  'description',
  'avatar_media_id',
  'avatar_owner_id',
  'avatar_url',
  'join_rule',
  'member_cap',
  'discoverable',
  'member_count',
  'rules_version',
  'version',
  'moderation_state',
  'created_at',
  'updated_at',
  'active_at',
  'deleted_at',
  'purge_at',
].map((c) => `circles.${c}` as 'circles.id');
const memberColumns = [
  'user_id',
  'role',
  'joined_via',
  'joined_at',
  'responder',
  'primary_contact',
  'quiet_hours_enabled',
  'quiet_start_minute',
  'quiet_end_minute',
  'quiet_time_zone',
].map((c) => `members.${c} as m_${c}` as 'members.user_id');

const statements: [string, (db: Kysely<Db>, i: number) => { compile(): unknown }][] = [
  [
    'ListMyCircles shape (30 columns, 3 tables)',
    (db, i) =>
      db
        .selectFrom('members')
        .innerJoin('circles', 'circles.id', 'members.circle_id')
        .leftJoin('membership_versions as v', (join) =>
          join
            .onRef('v.circle_id', '=', 'members.circle_id')
            .onRef('v.user_id', '=', 'members.user_id'),
        )
        .select(circleColumns)
        .select(memberColumns)
        .select('v.version as m_version')
        .where('members.user_id', '=', `user-${i}`)
        .where('circles.deleted_at', 'is', null)
        .where((eb) =>
          eb.or([
            eb('circles.active_at', '<', new Date(i)),
            eb.and([eb('circles.active_at', '=', new Date(i)), eb('circles.id', '<', `c-${i}`)]),
          ]),
        )
        .orderBy('circles.active_at', 'desc')
        .orderBy('circles.id', 'desc')
        .limit(51),
  ],
  [
    'point read (4 columns by id)',
    (db, i) =>
      db
        .selectFrom('circles')
        .select(['id', 'owner_id', 'version', 'deleted_at'])
        .where('id', '=', `c-${i}`),
  ],
  [
    'upsert (on conflict do update, returning)',
    (db, i) =>
      db
        .insertInto('membership_versions')
        .values({ circle_id: `c-${i}`, user_id: `u-${i}`, version: '1' })
        .onConflict((oc) =>
          oc
            .columns(['circle_id', 'user_id'])
            .doUpdateSet({ version: sql`membership_versions.version + 1` }),
        )
        .returning('version'),
  ],
];

/** µs per build + compile over `calls` statements. */
function round(db: Kysely<Db>, build: (db: Kysely<Db>, i: number) => { compile(): unknown }) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) build(db, i).compile();
  return Number(process.hrtime.bigint() - start) / 1000 / calls;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const rows = statements.map(([name, build]) => {
  // Both must write the same SQL (the compiler checks this itself once per statement too).
  const a = (build(plugin, 1).compile() as { sql: string }).sql;
  const b = (build(compiler, 1).compile() as { sql: string }).sql;
  if (a !== b) throw new Error(`different SQL for ${name}:\n${a}\n${b}`);
  round(plugin, build);
  round(compiler, build);
  const withSchema: number[] = [];
  const schemaCompiler: number[] = [];
  for (let r = 0; r < 7; r++) {
    withSchema.push(round(plugin, build));
    schemaCompiler.push(round(compiler, build));
  }
  const w = median(withSchema);
  const c = median(schemaCompiler);
  return {
    statement: name,
    'withSchema µs': w.toFixed(1),
    'schema compiler µs': c.toFixed(1),
    'saved µs': (w - c).toFixed(1),
    ratio: `${(c / w).toFixed(3)}×`,
  };
});
console.log(`build + compile, median of 7 rounds of ${calls} (Node ${process.version})`);
console.table(rows);
