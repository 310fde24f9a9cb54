import { outboxMigrations } from '@kith/bus';
import type { MigrationSet } from '@kith/db';
import { idempotencyMigrations } from '@kith/interceptors';
import type { ServiceModule } from './module.js';

/**
 * Every service with storage gets the platform tables (outbox, inbox, dead letters,
 * idempotency keys) before its own. Names are timestamped so the order is the name order.
 */
export function migrationsFor(module: ServiceModule): MigrationSet {
  const all: MigrationSet = { ...outboxMigrations, ...idempotencyMigrations };
  for (const [name, migration] of Object.entries(module.migrations ?? {})) {
    if (name in all)
      throw new Error(`${module.name}: migration ${name} clashes with a platform one`);
    all[name] = migration;
  }
  return all;
}
