import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { createPglite } from './pglite.js';

async function tables(dataDir: string, seedDir: string): Promise<string[]> {
  const handle = await createPglite({ dataDir, seedDir });
  try {
    const result = await handle.pglite.query<{ name: string }>(
      `select table_name as name from information_schema.tables where table_schema = 'public' order by 1`,
    );
    return result.rows.map((row) => row.name);
  } finally {
    await handle.close();
  }
}

describe('PGlite started from a seed cluster', () => {
  let root: string;
  let seedDir: string;

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'kith-pglite-seed-'));
    seedDir = path.join(root, 'seed');
    const seed = await createPglite({ dataDir: seedDir });
    await seed.pglite.exec('create table from_seed (id int primary key)');
    await seed.close();
  });
  afterAll(() => fs.rm(root, { recursive: true, force: true }));

  test('a data dir without a cluster starts as a copy of the seed', async () => {
    assert.deepEqual(await tables(path.join(root, 'fresh'), seedDir), ['from_seed']);
  });

  test('a data dir that holds a cluster keeps its own data and ignores the seed', async () => {
    const dataDir = path.join(root, 'existing');
    const own = await createPglite({ dataDir });
    await own.pglite.exec('create table own_table (id int primary key)');
    await own.close();
    assert.deepEqual(await tables(dataDir, seedDir), ['own_table']);
  });

  test('the seed itself is left untouched by a cluster started from it', async () => {
    const dataDir = path.join(root, 'writer');
    const handle = await createPglite({ dataDir, seedDir });
    await handle.pglite.exec('create table written_later (id int primary key)');
    await handle.close();
    assert.deepEqual(await tables(path.join(root, 'second'), seedDir), ['from_seed']);
  });
});
