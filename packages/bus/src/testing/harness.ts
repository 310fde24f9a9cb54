import { createPglite, createPgliteDatabase, createPostgresDatabase, migrate } from '@kith/db';
import type { Database } from '@kith/db';
import { createTestSchema, uniqueName } from '@kith/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { pino, type Logger } from 'pino';
import { createLocalBus } from '../local/local-bus.js';
import { localBusMigrations } from '../local/local-schema.js';
import { createNatsBus } from '../nats/nats-bus.js';
import type { Bus } from '../types.js';

/** Everything a contract test needs from one adapter, plus its cleanup. */
export interface BusHarness {
  /** A fresh bus instance over the same durable state: a process restart. */
  createBus(): Promise<Bus>;
  /** Unique prefix of this harness: events go to `<ns>.events.*`, live and rpc elsewhere. */
  ns: string;
  teardown(): Promise<void>;
}

export function testLogger(): Logger {
  return pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
}

function trackBuses(create: () => Promise<Bus>) {
  const buses: Bus[] = [];
  return {
    async createBus() {
      const bus = await create();
      buses.push(bus);
      return bus;
    },
    async drainAll() {
      // A bus the test drained already resolves at once.
      await Promise.allSettled(buses.map((b) => b.drain()));
    },
  };
}

/** Deletes JetStream streams (those missing are skipped). */
export async function deleteStreams(url: string, names: readonly string[]): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    for (const name of names) await jsm.streams.delete(name).catch(() => false);
  } finally {
    await nc.close();
  }
}

/** JetStream on its own uniquely named streams and subjects, deleted at teardown. */
export async function natsHarness(
  url: string,
  overrides: { duplicateWindowMs?: number } = {},
): Promise<BusHarness & { streams: string[] }> {
  const ns = uniqueName('t');
  const upper = ns.toUpperCase();
  const streamName = `${upper}_EVENTS`;
  const dlqStreamName = `${upper}_DLQ`;
  const buses = trackBuses(() =>
    createNatsBus({
      servers: url,
      name: `bus-test-${ns}`,
      logger: testLogger(),
      streamName,
      subjects: [`${ns}.events.>`],
      dlqStreamName,
      dlqSubjectPrefix: `${ns}.dlq`,
      ...overrides,
    }),
  );
  return {
    ns,
    streams: [streamName, dlqStreamName],
    createBus: buses.createBus,
    async teardown() {
      await buses.drainAll();
      await deleteStreams(url, [streamName, dlqStreamName]);
    },
  };
}

/** Local bus over a fresh Postgres schema; each bus instance gets its own pool. */
export async function localPostgresHarness(url: string): Promise<BusHarness> {
  const schema = await createTestSchema(url, 'bus');
  const databases: Database[] = [];
  const open = () => {
    const database = createPostgresDatabase({ url, schema: schema.name, poolMax: 4 });
    databases.push(database);
    return database;
  };
  await migrate(open(), localBusMigrations);
  const buses = trackBuses(async () =>
    createLocalBus({ database: open(), logger: testLogger(), pollIntervalMs: 200 }),
  );
  return {
    ns: uniqueName('t'),
    createBus: buses.createBus,
    async teardown() {
      await buses.drainAll();
      await Promise.all(databases.map((d) => d.close()));
      await schema.drop();
    },
  };
}

/** Local bus on an in-memory PGlite: the embedded mode's exact stack. */
export async function localPgliteHarness(): Promise<BusHarness> {
  const pglite = await createPglite();
  const open = () => createPgliteDatabase({ pglite, schema: 'bus' });
  await migrate(open(), localBusMigrations);
  const buses = trackBuses(async () =>
    createLocalBus({ database: open(), logger: testLogger(), pollIntervalMs: 200 }),
  );
  return {
    ns: uniqueName('t'),
    createBus: buses.createBus,
    async teardown() {
      await buses.drainAll();
      await pglite.close();
    },
  };
}
