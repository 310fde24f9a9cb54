import { localBusMigrations } from '@kith/bus';
import { createPglite, createPgliteDatabase, migrate } from '@kith/db';
import { migrationsFor } from './migrations.js';
import type { ServiceModule } from './module.js';

/**
 * Writes into `dir` a PGlite cluster with every schema an embedded process needs already
 * migrated. A new data directory copied from it is ready in about the time of a warm start,
 * where `initdb` and the migrations take seconds; the migrations still run at start and find
 * nothing to do (or apply what is newer than the seed). It holds no secrets: the migrations
 * create tables and insert nothing, and secrets live outside the cluster.
 */
export async function buildEmbeddedSeed(modules: ServiceModule[], dir: string): Promise<void> {
  const handle = await createPglite({ dataDir: dir });
  try {
    await migrate(createPgliteDatabase({ pglite: handle, schema: 'bus' }), localBusMigrations);
    for (const module of modules) {
      if (!module.migrations) continue;
      const database = createPgliteDatabase({ pglite: handle, schema: module.name });
      await migrate(database, migrationsFor(module));
    }
  } finally {
    await handle.close();
  }
}
