import { Kysely, sql } from 'kysely';
import type { Compilable } from 'kysely';
import { jsonArrayFrom, jsonObjectFrom } from 'kysely/helpers/postgres';
import { describe, expect, it } from 'vitest';
import { compileOnlyDialect, pluginCheck, schemaQualifiedDialect } from './schema-compiler.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- shapes of SQL, not of a schema */
const plain = compileOnlyDialect();
const mismatches: string[] = [];
const ours = new Kysely<any>({
  dialect: schemaQualifiedDialect(plain, 'svc', {
    strict: false,
    onMismatch: (a, b) => mismatches.push(`${a}\n${b}`),
  }),
});
const plugin = new Kysely<any>({ dialect: plain }).withSchema('svc');

/** Statements of every shape the services write, each built once per Kysely. */
const statements: Record<string, (db: Kysely<any>) => Compilable> = {
  'select with joins, aliases and refs': (db) =>
    db
      .selectFrom('members')
      .innerJoin('circles', 'circles.id', 'members.circle_id')
      .leftJoin('membership_versions as v', (join) =>
        join
          .onRef('v.circle_id', '=', 'members.circle_id')
          .onRef('v.user_id', '=', 'members.user_id'),
      )
      .select(['circles.id', 'circles.name', 'members.role as m_role', 'v.version'])
      .where('members.user_id', '=', 'u1')
      .where((eb) => eb.or([eb('circles.deleted_at', 'is', null), eb('members.role', '=', 1)]))
      .orderBy('circles.active_at', 'desc')
      .limit(51),
  'raw fragments inside a select': (db) =>
    db
      .selectFrom('posts as p')
      .select(['p.id', sql<number>`count(*) over ()`.as('total')])
      .where(sql<boolean>`(${sql.ref('p.created_at')}, ${sql.ref('p.id')}) < (${1}, ${'x'})`)
      .where(sql.ref('p.author_id'), 'in', ['a', 'b']),
  'subqueries: exists, in, scalar, from': (db) =>
    db
      .selectFrom('posts')
      .select((eb) => [
        'posts.id',
        eb
          .selectFrom('likes')
          .select(eb.fn.countAll().as('n'))
          .whereRef('likes.post_id', '=', 'posts.id')
          .as('likes'),
      ])
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('blocks')
            .select('blocks.blocker_id')
            .whereRef('blocks.blocked_id', '=', 'posts.author_id'),
        ),
      )
      .where('posts.circle_id', 'in', (eb: any) =>
        eb.selectFrom('members').select('members.circle_id').where('members.user_id', '=', 'u'),
      ),
  'select from a subquery': (db) =>
    db
      .selectFrom((eb) =>
        eb.selectFrom('posts').select(['posts.id', 'posts.author_id']).as('recent'),
      )
      .innerJoin('users', 'users.id', 'recent.author_id')
      .selectAll('recent'),
  'CTEs shadow tables': (db) =>
    db
      .with('mine', (qb) => qb.selectFrom('members').select('circle_id').where('user_id', '=', 'u'))
      .with('posts', (qb) =>
        qb
          .selectFrom('mine')
          .innerJoin('posts', 'posts.circle_id', 'mine.circle_id')
          .selectAll('posts'),
      )
      .selectFrom('posts')
      .innerJoin('circles', 'circles.id', 'posts.circle_id')
      .selectAll(),
  'json helpers and json_agg of a row': (db) =>
    db
      .selectFrom('circles')
      .select((eb) => [
        'circles.id',
        jsonArrayFrom(
          eb
            .selectFrom('members')
            .select(['members.user_id'])
            .whereRef('members.circle_id', '=', 'circles.id'),
        ).as('members'),
        jsonObjectFrom(
          eb.selectFrom('users').select('users.name').whereRef('users.id', '=', 'circles.owner_id'),
        ).as('owner'),
      ]),
  'json_agg and to_json of a table': (db) =>
    db
      .selectFrom('circles')
      .select((eb) => [eb.fn.jsonAgg('circles').as('all'), eb.fn.toJson('circles').as('one')])
      .groupBy('circles.id'),
  'for update of': (db) =>
    db
      .selectFrom('circles')
      .innerJoin('members', 'members.circle_id', 'circles.id')
      .selectAll('circles')
      .forUpdate(['circles'])
      .skipLocked(),
  'insert, on conflict, returning': (db) =>
    db
      .insertInto('members')
      .values({ circle_id: 'c', user_id: 'u', role: 3 })
      .onConflict((oc) =>
        oc
          .columns(['circle_id', 'user_id'])
          .doUpdateSet((eb) => ({ role: eb.ref('excluded.role') })),
      )
      .returning(['members.circle_id', 'role']),
  'insert from a select': (db) =>
    db
      .insertInto('archive')
      .columns(['id'])
      .expression((eb) =>
        eb.selectFrom('posts').select('posts.id').where('posts.deleted_at', 'is not', null),
      ),
  'update from, with a set subquery': (db) =>
    db
      .updateTable('circles')
      .from('members')
      .set((eb) => ({
        member_count: eb
          .selectFrom('members')
          .select(eb.fn.countAll<number>().as('n'))
          .whereRef('members.circle_id', '=', 'circles.id'),
        version: sql`version + 1`,
      }))
      .whereRef('members.circle_id', '=', 'circles.id')
      .returning('circles.id'),
  'delete using, returning': (db) =>
    db
      .deleteFrom('likes')
      .using('posts')
      .whereRef('posts.id', '=', 'likes.post_id')
      .where('posts.author_id', '=', 'u')
      .returningAll(),
  'union of selects': (db) =>
    db
      .selectFrom('likes')
      .select(['likes.post_id', sql<string>`'like'`.as('kind')])
      .unionAll((eb) =>
        eb
          .selectFrom('bookmarks')
          .select(['bookmarks.post_id', sql<string>`'bookmark'`.as('kind')]),
      ),
  'raw statement with sql.table': (db) => ({
    compile: () =>
      sql`select * from ${sql.table('svc.outbox')} where id = ${1} for update skip locked`.compile(
        db,
      ),
  }),
  'create table with references': (db) =>
    db.schema
      .createTable('members')
      .ifNotExists()
      .addColumn('circle_id', 'uuid', (c) =>
        c.notNull().references('circles.id').onDelete('cascade'),
      )
      .addColumn('user_id', 'uuid', (c) => c.notNull())
      .addForeignKeyConstraint('members_user_fk', ['user_id'], 'users', ['id'])
      .addPrimaryKeyConstraint('members_pk', ['circle_id', 'user_id']),
  'create index, alter and drop': (db) =>
    db.schema
      .createIndex('members_by_user')
      .on('members')
      .columns(['user_id', 'circle_id'])
      .where(sql.ref('role'), '<', 3),
  'alter table': (db) => db.schema.alterTable('circles').addColumn('search', sql`tsvector`),
  'drop table': (db) => db.schema.dropTable('old_things').ifExists(),
};

describe('SchemaQualifyingCompiler', () => {
  for (const [name, build] of Object.entries(statements)) {
    it(`writes what withSchema writes: ${name}`, () => {
      const expected = build(plugin).compile();
      const actual = build(ours).compile();
      expect(actual.sql).toBe(expected.sql);
      expect(actual.parameters).toEqual(expected.parameters);
      expect(mismatches).toEqual([]);
    });
  }

  it('qualifies the tables a statement names, not its CTEs or aliases', () => {
    const { sql: text } = statements['CTEs shadow tables']!(ours).compile();
    expect(text).toContain('from "svc"."members"');
    // Inside and after the CTE named `posts`, `posts` is the CTE.
    expect(text).toContain('inner join "posts" on "posts"."circle_id"');
    expect(text).toContain('select * from "posts" inner join "svc"."circles"');
  });

  it("runs the plugin's text for a statement it wrote differently, reported once", () => {
    const seen: string[] = [];
    const check = pluginCheck('svc', {
      strict: false,
      onMismatch: (a, b) => seen.push(`${a} | ${b}`),
    });
    // Compiled without any schema: not what withSchema writes for the same node.
    const unqualified = new Kysely<any>({ dialect: plain }).selectFrom('a').selectAll().compile();
    const run = check(unqualified, unqualified.query, unqualified.queryId);
    expect(run.sql).toBe('select * from "svc"."a"');
    expect(check(unqualified, unqualified.query, unqualified.queryId).sql).toBe(run.sql);
    expect(seen).toEqual(['select * from "a" | select * from "svc"."a"']);
  });

  it('throws on a difference in strict mode (the tests)', () => {
    const check = pluginCheck('svc', { strict: true });
    const unqualified = new Kysely<any>({ dialect: plain }).selectFrom('a').selectAll().compile();
    expect(() => check(unqualified, unqualified.query, unqualified.queryId)).toThrow(
      /differs from withSchema/,
    );
    const same = plugin.selectFrom('a').selectAll().compile();
    expect(check(same, same.query, same.queryId)).toBe(same);
  });

  it('refuses a schema name it could not write as is', () => {
    for (const bad of ['Svc', 'svc"; drop table a; --', '', 'svc.other']) {
      expect(() => schemaQualifiedDialect(plain, bad)).toThrow(/invalid schema name/);
    }
  });
});
