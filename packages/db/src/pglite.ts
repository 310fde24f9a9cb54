import { cpSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import { createDatabaseHandle } from './database-handle.js';
import { schemaQualifiedDialect } from './schema-compiler.js';
import { PgliteDialect } from './pglite-dialect.js';
import { SessionLock, SessionLockError, type SessionHolder } from './session-lock.js';
import type { Database, LoggerLike } from './types.js';

const INT8_OID = 20;
const DEFAULT_ACQUIRE_TIMEOUT_MS = 30_000;

// The lock travels with the instance, so every Database over one PGlite queues on the same
// lock whether it was given the owner's handle or the bare instance.
const sessionLockKey = Symbol.for('kith.db.pglite-session-lock');
type WithLock = PGlite & { [sessionLockKey]?: SessionLock };

function sessionLockOf(pglite: PGlite, acquireTimeoutMs = DEFAULT_ACQUIRE_TIMEOUT_MS): SessionLock {
  const target = pglite as WithLock;
  target[sessionLockKey] ??= new SessionLock(acquireTimeoutMs);
  return target[sessionLockKey];
}

export interface PgliteOptions {
  /** Directory holding the cluster; undefined keeps it in memory. */
  dataDir?: string;
  /**
   * How long a caller may queue for the single session before failing (default 30 s). In
   * embedded mode a longer wait means a stall or a query issued outside its `trx`.
   */
  acquireTimeoutMs?: number;
  /**
   * A cluster directory (closed cleanly) copied into `dataDir` when that holds no cluster yet:
   * a file copy takes a fraction of a second, where `initdb` takes seconds (and restoring a
   * `dumpDataDir()` tarball through PGlite's file system about as long). Ignored otherwise.
   */
  seedDir?: string;
}

/** The owner's handle on the one PGlite instance every embedded service shares. */
export interface PgliteHandle {
  readonly pglite: PGlite;
  /** The session lock every `Database` over this instance queues on. */
  readonly lock: SessionLock;
  /** Raw access outside Kysely (LISTEN, dumps) without slipping into someone's transaction. */
  exclusive<T>(fn: (pglite: PGlite) => Promise<T>): Promise<T>;
  /** Waits for the session to be free, then closes; PGlite keeps the event loop alive until then. */
  close(): Promise<void>;
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

/** Starts PGlite (seconds when fresh). Create it once per process and share the handle. */
export async function createPglite(options: PgliteOptions = {}): Promise<PgliteHandle> {
  if (options.dataDir) {
    await fs.mkdir(options.dataDir, { recursive: true });
    const fresh = !(await exists(path.join(options.dataDir, 'PG_VERSION')));
    // cpSync: the promise-based fs.cp takes several times longer on a cluster's ~1200 files.
    if (fresh && options.seedDir) cpSync(options.seedDir, options.dataDir, { recursive: true });
  }
  // int8 as a string, like node-pg, so code tested on PGlite behaves the same on a server.
  const pglite = await PGlite.create(options.dataDir, {
    parsers: { [INT8_OID]: (value: string) => value },
  });
  const lock = sessionLockOf(pglite, options.acquireTimeoutMs);
  let closing: Promise<void> | undefined;
  return {
    pglite,
    lock,
    exclusive: (fn) => lock.run(() => fn(pglite)),
    close() {
      closing ??= (async () => {
        const release = await lock.acquire(Number.POSITIVE_INFINITY);
        try {
          if (!pglite.closed) await pglite.close();
        } finally {
          release();
        }
      })();
      return closing;
    },
  };
}

export interface PgliteDatabaseOptions {
  /** The owner's handle from `createPglite` (or its bare `pglite`; both share one session lock). */
  pglite: PgliteHandle | PGlite;
  schema: string;
  /** Where failing after-commit hooks are reported. */
  logger?: LoggerLike;
}

/** A `Database` bound to `schema` on the shared PGlite instance; closing it leaves PGlite open. */
export function createPgliteDatabase<DB = unknown>(options: PgliteDatabaseOptions): Database<DB> {
  const pglite = options.pglite instanceof PGlite ? options.pglite : options.pglite.pglite;
  const lock = sessionLockOf(pglite);
  const kysely = new Kysely<DB>({
    dialect: schemaQualifiedDialect(new PgliteDialect({ pglite, lock }), options.schema),
  });
  return createDatabaseHandle({
    kysely,
    schema: options.schema,
    dialect: 'pglite',
    aroundTransaction(run) {
      if (lock.holders.getStore()?.holding) {
        return Promise.reject(
          new SessionLockError(
            'nested database.transaction on PGlite: use the outer `trx` (savepoints: trx.savepoint)',
          ),
        );
      }
      const holder: SessionHolder = { holding: false };
      return lock.holders.run(holder, () =>
        run(async (fn) => {
          holder.holding = true;
          try {
            return await fn();
          } finally {
            holder.holding = false;
          }
        }),
      );
    },
    close: () => kysely.destroy(),
    logger: options.logger,
  });
}
