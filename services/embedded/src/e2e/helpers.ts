import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import type { Database } from '@kith/db';

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '../../../..');

/**
 * Every public service the processes serve over HTTP. The *InternalService of each domain is
 * NATS request/reply only and never served (embedded.test.ts checks that none is listed).
 */
export const kithServices = [
  'kith.auth.v1.AuthService',
  'kith.auth.v1.AuthAdminService',
  'kith.user.v1.UserService',
  'kith.user.v1.NotificationService',
  'kith.user.v1.UserAdminService',
  'kith.post.v1.PostService',
  'kith.post.v1.PostAdminService',
  'kith.circle.v1.CircleService',
  'kith.circle.v1.CircleAdminService',
  'kith.support.v1.SupportService',
  'kith.support.v1.SupportAdminService',
  'kith.moderation.v1.ModerationService',
  'kith.moderation.v1.ModerationAdminService',
];

/** Lists services with the real `buf curl` reflection client over gRPC h2c. */
export async function listServicesWithBufCurl(url: string): Promise<string[]> {
  const { stdout } = await run(
    path.join(repoRoot, 'node_modules/.bin/buf'),
    ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', '--list-services', url],
    { cwd: repoRoot, timeout: 30_000 },
  );
  return stdout.split('\n').filter(Boolean);
}

/** Row counts of every table in a schema: "nothing was written" is checked against these. */
export async function tableCounts(database: Database): Promise<Record<string, number>> {
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = ${database.schema} and table_type = 'BASE TABLE'
    order by table_name`.execute(database.db);
  const counts: Record<string, number> = {};
  for (const { table_name } of tables.rows) {
    const r = await sql<{ n: string }>`select count(*)::text as n from ${sql.table(
      `${database.schema}.${table_name}`,
    )}`.execute(database.db);
    counts[table_name] = Number(r.rows[0]?.n ?? 0);
  }
  return counts;
}

export async function countRows(database: Database, table: string, where = sql`true`) {
  const r = await sql<{ n: string }>`select count(*)::text as n from ${sql.table(
    `${database.schema}.${table}`,
  )} where ${where}`.execute(database.db);
  return Number(r.rows[0]?.n ?? 0);
}

export interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node ARGS` from the repository root to its end, whatever its exit code. */
export function runNode(args: string[], env: NodeJS.ProcessEnv): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
