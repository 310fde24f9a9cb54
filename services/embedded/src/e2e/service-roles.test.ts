import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { authModule } from '@kith/auth-service';
import { migrateDistributed } from '@kith/runtime';
import { requireService } from '@kith/testkit';
import { userModule } from '@kith/user-service';
import pg from 'pg';

// The role-per-service script of docs/operations on the real Postgres: `migrate` runs as the
// schema owner (DATABASE_MIGRATION_URL), `serve`'s role (DATABASE_URL) touches only its rows.

const repoRoot = path.resolve(import.meta.dirname, '../../../..');
const databaseUrl = await requireService('postgres');

describe.skipIf(!databaseUrl)('a Postgres role per service', () => {
  const tag = crypto.randomBytes(3).toString('hex');
  const dbName = `kith_roles_${tag}`;
  const roles: string[] = [];
  const urls = new Map<string, { owner: string; runtime: string }>();
  let superuser: pg.Client;

  function urlAs(role: string, password: string): string {
    const url = new URL(databaseUrl!);
    url.username = role;
    url.password = password;
    url.pathname = `/${dbName}`;
    return url.toString();
  }

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const url = new URL(databaseUrl!);
    url.pathname = `/${dbName}`;
    superuser = new pg.Client({ connectionString: url.toString() });
    await superuser.connect();
    const template = await fs.readFile(
      path.join(repoRoot, 'docs/operations/postgres-service-roles.sql'),
      'utf8',
    );
    for (const service of ['auth', 'user']) {
      const password = crypto.randomBytes(12).toString('hex');
      const ownerPassword = crypto.randomBytes(12).toString('hex');
      // Roles are cluster-wide: this run's get a tag so parallel runs never collide.
      const script = template
        .replaceAll('kith_{{service}}', `kith_${tag}_{{service}}`)
        .replaceAll('{{service}}', service)
        .replaceAll('{{database}}', dbName)
        .replaceAll('{{password}}', password)
        .replaceAll('{{owner_password}}', ownerPassword);
      await superuser.query(script);
      roles.push(`kith_${tag}_${service}`, `kith_${tag}_${service}_owner`);
      urls.set(service, {
        owner: urlAs(`kith_${tag}_${service}_owner`, ownerPassword),
        runtime: urlAs(`kith_${tag}_${service}`, password),
      });
    }
    for (const [service, module] of [
      ['auth', authModule],
      ['user', userModule],
    ] as const) {
      const { owner, runtime } = urls.get(service)!;
      await migrateDistributed(module, {
        KITH_MODE: 'distributed',
        LOG_LEVEL: 'silent',
        DATABASE_URL: runtime,
        DATABASE_MIGRATION_URL: owner,
        NATS_URL: 'nats://127.0.0.1:4222',
        PAGE_TOKEN_SECRET: 'p'.repeat(40),
      });
    }
  });

  afterAll(async () => {
    await superuser?.end();
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    for (const role of roles) await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
  });

  async function as<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  test('migrate ran as the schema owner: the tables belong to it, not to the runtime role', async () => {
    const { rows } = await superuser.query<{ tableowner: string }>(
      `select distinct tableowner from pg_tables where schemaname = 'auth'`,
    );
    assert.deepEqual(
      rows.map((r) => r.tableowner),
      [`kith_${tag}_auth_owner`],
    );
  });

  test('a service role reads and writes its own rows but cannot read another service’s schema', async () => {
    await as(urls.get('user')!.runtime, async (client) => {
      await client.query('select count(*) from "user".inbox');
      await assert.rejects(client.query('select * from auth.accounts'), /permission denied/);
      await assert.rejects(client.query('select * from auth.signing_keys'), /permission denied/);
      // Nor can it change the shape of its own schema: that is the owner's job.
      await assert.rejects(
        client.query('create table "user".sneaky (id int)'),
        /permission denied/,
      );
    });
    await as(urls.get('auth')!.runtime, async (client) => {
      await client.query('select count(*) from auth.signing_keys');
      await assert.rejects(client.query('select * from "user".inbox'), /permission denied/);
    });
  });
});
