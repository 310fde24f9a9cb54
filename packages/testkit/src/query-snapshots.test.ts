import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { afterEach, test } from 'vitest';
import {
  UPDATE_QUERY_SNAPSHOTS_ENV,
  checkQuerySnapshots,
  createQueryRecorder,
  renderQueries,
} from './query-snapshots.js';

interface Tables {
  notes: { id: string; body: string };
}

const dirs: string[] = [];
const freshDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kith-queries-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  delete process.env[UPDATE_QUERY_SNAPSHOTS_ENV];
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const calls = {
  findNote: (db: Kysely<Tables>) =>
    db.selectFrom('notes').selectAll().where('id', '=', 'n1').executeTakeFirstOrThrow(),
  renameNote: (db: Kysely<Tables>) =>
    db.updateTable('notes').set({ body: 'b' }).where('id', '=', 'n1').execute(),
};

test('renders each call’s SQL, schema-qualified, with its parameters, even when the call throws', async () => {
  const text = await renderQueries(createQueryRecorder<Tables>('app'), calls);
  assert.equal(
    text,
    [
      '-- findNote',
      'select * from "app"."notes" where "id" = $1;',
      '-- $1 = "n1"',
      '',
      '-- renameNote',
      'update "app"."notes" set "body" = $1 where "id" = $2;',
      '-- $1 = "b", $2 = "n1"',
      '',
    ].join('\n'),
  );
});

test('a difference, a missing file or a file no longer produced fails; the update flag rewrites', async () => {
  const dir = freshDir();
  const text = await renderQueries(createQueryRecorder<Tables>('app'), calls);
  assert.throws(() => checkQuerySnapshots(dir, { notes: text }), /notes\.sql/);

  process.env[UPDATE_QUERY_SNAPSHOTS_ENV] = '1';
  fs.writeFileSync(path.join(dir, 'gone.sql'), 'select 1;\n');
  assert.deepEqual(checkQuerySnapshots(dir, { notes: text }).sort(), ['gone.sql', 'notes.sql']);
  assert.deepEqual(fs.readdirSync(dir), ['notes.sql']);
  delete process.env[UPDATE_QUERY_SNAPSHOTS_ENV];

  assert.deepEqual(checkQuerySnapshots(dir, { notes: text }), []);
  assert.throws(
    () => checkQuerySnapshots(dir, { notes: text.replace('"id" = $1', '"id" <> $1') }),
    /query snapshots differ .*notes\.sql.*KITH_UPDATE_QUERY_SNAPSHOTS=1/,
  );
});

test('a call that sends no query is reported, not rendered empty', async () => {
  await assert.rejects(
    renderQueries(createQueryRecorder<Tables>('app'), { nothing: async () => undefined }),
    /nothing sent no query/,
  );
});
