import { sql, type Kysely, type Transaction } from 'kysely';
import { runCommitHooks, withCommitHooks } from './commit-hooks.js';
import type { CommitHook, CommitListener, Database, LoggerLike } from './types.js';

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
  /** A Kysely over `schemaQualifiedDialect(…, schema)`: its SQL names the schema's tables. */
  kysely: Kysely<DB>;
  schema: string;
  dialect: Database['dialect'];
  /** Wraps each transaction (PGlite marks the async context that holds the session). */
  aroundTransaction?: <T>(
    run: (inside: <U>(fn: () => Promise<U>) => Promise<U>) => Promise<T>,
  ) => Promise<T>;
  close(): Promise<void>;
  /** Where failing after-commit hooks are reported. */
  logger?: LoggerLike;
}

/** Builds the adapter-independent part of a `Database` over a schema-bound Kysely. */
export function createDatabaseHandle<DB>(options: DatabaseHandleOptions<DB>): Database<DB> {
  assertSchemaName(options.schema);
  const db = options.kysely;
  const schema = options.schema;
  let closed = false;
  const listeners = new Map<string, Set<CommitListener<unknown>>>();
  return {
    db,
    schema,
    dialect: options.dialect,
    async transaction<T>(fn: Parameters<Database<DB>['transaction']>[0]): Promise<T> {
      const hooks: CommitHook[] = [];
      const topics = new Map<string, Set<unknown>>();
      const body = (trx: Transaction<DB>) => fn(withCommitHooks(trx, hooks, topics)) as Promise<T>;
      const around = options.aroundTransaction;
      let result: T;
      try {
        result = around
          ? await around((inside) => db.transaction().execute((trx) => inside(() => body(trx))))
          : await db.transaction().execute(body);
      } catch (err) {
        hooks.length = 0;
        throw err;
      }
      // Outside the transaction's callback: a hook may query through `database.db`.
      await runCommitHooks(hooks, options.logger, schema);
      for (const [topic, details] of topics) {
        for (const listener of listeners.get(topic) ?? []) {
          // Committed already: a listener's failure is reported, never the caller's.
          await Promise.resolve()
            .then(() => listener([...details]))
            .catch((err: unknown) => {
              if (options.logger)
                options.logger.error({ err, schema, topic }, 'commit listener failed');
              else console.error(`[${schema}] commit listener failed`, err);
            });
        }
      }
      return result;
    },
    onCommitted<T>(topic: string, listener: CommitListener<T>) {
      let set = listeners.get(topic);
      if (!set) listeners.set(topic, (set = new Set()));
      // The topic's writers and listeners agree on T; the map holds every topic's.
      const held = listener as CommitListener<unknown>;
      set.add(held);
      return () => set.delete(held);
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
