import fs from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import type { CompiledQuery, DatabaseConnection, Driver, QueryResult } from 'kysely';

type Rows = (query: CompiledQuery) => Record<string, unknown>[];

/** A driver that answers every query with `rows(query)` and never opens a connection. */
function answeringDriver(rows: Rows): Driver {
  const connection: DatabaseConnection = {
    async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
      return { rows: rows(query) as R[] };
    },
    // eslint-disable-next-line require-yield -- never streams
    async *streamQuery() {
      throw new Error('the query recorder does not stream');
    },
  };
  return {
    async init() {},
    async acquireConnection() {
      return connection;
    },
    async beginTransaction() {},
    async commitTransaction() {},
    async rollbackTransaction() {},
    async releaseConnection() {},
    async destroy() {},
  };
}

/** Set to `1` to rewrite the snapshot files instead of failing on a difference. */
export const UPDATE_QUERY_SNAPSHOTS_ENV = 'KITH_UPDATE_QUERY_SNAPSHOTS';

/**
 * A Kysely bound to `schema` that never reaches a database: every query is compiled for
 * Postgres and recorded, and answers `rows(query)` (no rows unless given). Store functions run on
 * it unchanged, so the SQL a store sends can be read (and reviewed) without running it; a store
 * that goes on only when a row comes back is given one.
 */
export function createQueryRecorder<DB>(
  schema: string,
  options: { rows?: Rows } = {},
): {
  db: Kysely<DB>;
  /** The queries recorded since the last call, in order. */
  take(): CompiledQuery[];
} {
  let recorded: CompiledQuery[] = [];
  const db = new Kysely<DB>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => answeringDriver(options.rows ?? (() => [])),
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
    log: (event) => {
      recorded.push(event.query);
    },
  }).withSchema(schema);
  return {
    db,
    take() {
      const out = recorded;
      recorded = [];
      return out;
    },
  };
}

function formatParameter(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  return JSON.stringify(value) ?? String(value);
}

/** Replaces a parameter the store makes up itself (a fresh id, a timestamp) with a placeholder. */
export type ParameterMask = (value: unknown) => unknown;

function formatQuery(query: CompiledQuery, mask: ParameterMask): string {
  const params = query.parameters.map((p, i) => `$${i + 1} = ${formatParameter(mask(p))}`);
  return params.length > 0 ? `${query.sql};\n-- ${params.join(', ')}` : `${query.sql};`;
}

/**
 * Runs each named call on the recorder and renders what it sent: `-- name` then each query
 * (a store function whose dummy answer makes it throw, e.g. `executeTakeFirstOrThrow`, still
 * shows the query it sent).
 */
export async function renderQueries<DB>(
  recorder: ReturnType<typeof createQueryRecorder<DB>>,
  calls: Record<string, (db: Kysely<DB>) => Promise<unknown>>,
  options: { mask?: ParameterMask } = {},
): Promise<string> {
  const mask = options.mask ?? ((value) => value);
  const sections: string[] = [];
  for (const [name, call] of Object.entries(calls)) {
    recorder.take();
    await call(recorder.db).catch(() => undefined);
    const queries = recorder.take();
    if (queries.length === 0) throw new Error(`${name} sent no query`);
    sections.push([`-- ${name}`, ...queries.map((q) => formatQuery(q, mask))].join('\n'));
  }
  return `${sections.join('\n\n')}\n`;
}

/**
 * Compares rendered SQL with the committed `<dir>/<file>.sql` files and fails on any
 * difference, a missing file or a file no longer produced; with KITH_UPDATE_QUERY_SNAPSHOTS=1
 * it rewrites them instead. Returns the names of the files that differed.
 */
export function checkQuerySnapshots(dir: string, files: Record<string, string>): string[] {
  const update = process.env[UPDATE_QUERY_SNAPSHOTS_ENV] === '1';
  const differing: string[] = [];
  if (update) fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, `${name}.sql`);
    const committed = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    if (committed === text) continue;
    differing.push(`${name}.sql`);
    if (update) fs.writeFileSync(file, text);
  }
  const present = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.sql')) : [];
  for (const stale of present.filter((f) => !(f.replace(/\.sql$/, '') in files))) {
    differing.push(stale);
    if (update) fs.rmSync(path.join(dir, stale));
  }
  if (differing.length > 0 && !update) {
    throw new Error(
      `query snapshots differ from ${dir}: ${differing.join(', ')} ` +
        `(review the SQL change, then rerun with ${UPDATE_QUERY_SNAPSHOTS_ENV}=1 to accept it)`,
    );
  }
  return differing;
}
