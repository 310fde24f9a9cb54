import { AsyncLocalStorage } from 'node:async_hooks';
import type { DatabaseConnection, Dialect, Driver } from 'kysely';

/**
 * A query went through `database.db` (or opened a second transaction) while a transaction of
 * the same handle was open in the same async context. On Postgres that takes a second pool
 * connection per call, outside the transaction (a burst starves the pool); on PGlite the one
 * session is held and the query fails with SessionLockError. Both adapters refuse it the same
 * way, so every test on either adapter catches it.
 */
export class QueryOutsideTransactionError extends Error {
  override readonly name = 'QueryOutsideTransactionError';
  constructor() {
    super(
      'a transaction is open in this async context: inside database.transaction(fn) query ' +
        'through `trx`, not `database.db`, and do not nest transactions (use trx.savepoint)',
    );
  }
}

interface Holder {
  holding: boolean;
}

/** Marks the async contexts running a transaction's callback and refuses the pool there. */
export interface TransactionGuard {
  /** `aroundTransaction` for `createDatabaseHandle`. */
  around<T>(run: (inside: <U>(fn: () => Promise<U>) => Promise<U>) => Promise<T>): Promise<T>;
  /** Wraps a dialect so that taking a pool connection inside a marked context throws. */
  guard(dialect: Dialect): Dialect;
}

export function createTransactionGuard(): TransactionGuard {
  const holders = new AsyncLocalStorage<Holder>();
  const refuseInside = () => {
    if (holders.getStore()?.holding) throw new QueryOutsideTransactionError();
  };
  return {
    around(run) {
      try {
        refuseInside();
      } catch (err) {
        return Promise.reject(err);
      }
      const holder: Holder = { holding: false };
      return holders.run(holder, () =>
        run(async (fn) => {
          // Set only once the transaction has its connection, so its own acquire passes.
          holder.holding = true;
          try {
            return await fn();
          } finally {
            holder.holding = false;
          }
        }),
      );
    },
    guard(dialect) {
      return {
        createAdapter: () => dialect.createAdapter(),
        createIntrospector: (db) => dialect.createIntrospector(db),
        createQueryCompiler: () => dialect.createQueryCompiler(),
        createDriver(): Driver {
          const driver = dialect.createDriver();
          const acquire = driver.acquireConnection.bind(driver);
          driver.acquireConnection = (): Promise<DatabaseConnection> => {
            refuseInside();
            return acquire();
          };
          return driver;
        },
      };
    },
  };
}
