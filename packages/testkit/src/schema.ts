import crypto from 'node:crypto';
import pg from 'pg';

/** A fresh, uniquely named Postgres schema for one test file; drop() removes it. */
export interface TestSchema {
  name: string;
  drop(): Promise<void>;
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${crypto.randomBytes(5).toString('hex')}`;
}

export async function createTestSchema(databaseUrl: string, prefix = 't'): Promise<TestSchema> {
  const name = uniqueName(prefix);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA "${name}"`);
  } finally {
    await client.end();
  }
  return {
    name,
    async drop() {
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A fresh, uniquely named Postgres database (for whole processes); drop() removes it. */
export interface TestDatabase {
  name: string;
  /** `databaseUrl` pointed at the new database. */
  url: string;
  drop(): Promise<void>;
}

async function asAdmin(databaseUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(
  databaseUrl: string,
  prefix = 'kith_t',
): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  await asAdmin(databaseUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => asAdmin(databaseUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/**
 * What every distributed-mode Kith process started by a test needs: its own database, the
 * shared NATS and Redis (with its own key prefix, so counters left on this Redis by earlier
 * runs do not count), and a fresh secret. A test adds what its processes need besides.
 */
export function distributedEnv(
  database: TestDatabase,
  services: { natsUrl: string; redisUrl: string },
): Record<string, string> {
  return {
    KITH_MODE: 'distributed',
    DATABASE_URL: database.url,
    NATS_URL: services.natsUrl,
    REDIS_URL: services.redisUrl,
    REDIS_KEY_PREFIX: database.name,
    PAGE_TOKEN_SECRET: crypto.randomBytes(32).toString('base64url'),
    LOG_LEVEL: 'warn',
  };
}
