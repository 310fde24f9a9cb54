export type {
  CommitHook,
  CommitListener,
  Database,
  LoggerLike,
  Migration,
  MigrationSet,
  Trx,
} from './types.js';
export { withTables } from './with-tables.js';
export type { AnyKysely } from './with-tables.js';
export { liveAt } from './live-at.js';
export { assertSchemaName } from './database-handle.js';
export {
  compileOnlyDialect,
  pluginCheck,
  SchemaQualifyingCompiler,
  schemaQualifiedDialect,
} from './schema-compiler.js';
export type { SchemaCompilerOptions, StatementCheck } from './schema-compiler.js';
export { createPostgresDatabase, postgresPoolConfig } from './postgres.js';
export type {
  PostgresDatabaseOptions,
  PostgresPoolOptions,
  PostgresUrlOptions,
} from './postgres.js';
export { createPglite, createPgliteDatabase } from './pglite.js';
export type { PgliteDatabaseOptions, PgliteHandle, PgliteOptions } from './pglite.js';
export { PgliteDialect } from './pglite-dialect.js';
export { SessionLock, SessionLockError } from './session-lock.js';
export { QueryOutsideTransactionError } from './transaction-guard.js';
export {
  MIGRATIONS_TABLE,
  MigrationFailedError,
  UnknownMigrationError,
  migrate,
  runMigrateCli,
} from './migrate.js';
export type { MigrateOptions, MigrateResult } from './migrate.js';
export { createPageTokenCodec, InvalidPageTokenError } from './page-token.js';
export type {
  CursorValue,
  InvalidPageTokenReason,
  PageCursor,
  PageTokenCodec,
  PageTokenSecret,
} from './page-token.js';
export {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  NEWEST_FIRST,
  fetchPage,
  normalizePageSize,
  paginate,
  toPage,
} from './pagination.js';
export type {
  FetchPageOptions,
  KeysetColumn,
  Page,
  PageSizes,
  PaginateOptions,
} from './pagination.js';
export { createPollingLoop } from './polling-loop.js';
export type { PollingLoop } from './polling-loop.js';
export { appliedEdgeVersionMigrations, applyEdgeEvent } from './edge-versions.js';
export type { AppliedEdgeVersionsTable, EdgeEvent } from './edge-versions.js';
