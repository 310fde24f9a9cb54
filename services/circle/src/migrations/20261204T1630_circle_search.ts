import type { Migration } from '@kith/db';
import type { Kysely } from 'kysely';
import { searchColumns } from '../search/search-text.js';

/** SearchCircles: the normalised name and name + description kept in each row. */
export const addCircleSearch: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('circles')
      .addColumn('search_name', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('search_text', 'text', (c) => c.notNull().defaultTo(''))
      .execute();
    const circles = db as unknown as Kysely<{
      circles: {
        id: string;
        name: string;
        description: string;
        search_name: string;
        search_text: string;
      };
    }>;
    const rows = await circles
      .selectFrom('circles')
      .select(['id', 'name', 'description'])
      .execute();
    for (const row of rows) {
      await circles
        .updateTable('circles')
        .set(searchColumns(row.name, row.description))
        .where('id', '=', row.id)
        .execute();
    }
  },
};
