import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './types.js';

const schemaPattern = /^[a-z_][a-z0-9_]{0,62}$/;

/** Schema names are lower-case identifiers so raw SQL never needs to quote them differently. */
export function assertSchemaName(schema: string): void {
  if (!schemaPattern.test(schema)) {
    throw new Error(
      `invalid schema name ${JSON.stringify(schema)}: use lower-case letters, digits and _`,
    );
  }
}

export interface DatabaseHandleOptions<DB> {
  /** The unbound Kysely instance; the handle binds it to `schema`. */
  kysely: Kysely<DB>;
  schema: string;
  dialect: Database['dialect'];
  /** Wraps each transaction (PGlite marks the async context that holds the session). */
  aroundTransaction?: <T>(
    run: (inside: <U>(fn: () => Promise<U>) => Promise<U>) => Promise<T>,
  ) => Promise<T>;
  close(): Promise<void>;
}

/** Builds the adapter-independent part of a `Database` over a schema-bound Kysely. */
export function createDatabaseHandle<DB>(options: DatabaseHandleOptions<DB>): Database<DB> {
  assertSchemaName(options.schema);
  const db = options.kysely.withSchema(options.schema);
  const schema = options.schema;
  let closed = false;
  return {
    db,
    schema,
    dialect: options.dialect,
    transaction<T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
      const around = options.aroundTransaction;
      if (!around) return db.transaction().execute(fn);
      return around((inside) => db.transaction().execute((trx) => inside(() => fn(trx))));
    },
    table(name: string) {
      return sql.table(`${schema}.${name}`);
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      if (closed) return;
      closed = true;
      await options.close();
    },
  };
}
