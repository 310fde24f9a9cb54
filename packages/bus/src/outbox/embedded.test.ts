import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createPglite, createPgliteDatabase, migrate, type PgliteHandle } from '@kith/db';
import { waitFor } from '@kith/testkit';
import { createInboxConsumer } from '../inbox/inbox-consumer.js';
import { createLocalBus } from '../local/local-bus.js';
import { localBusMigrations } from '../local/local-schema.js';
import { testLogger } from '../testing/harness.js';
import { serviceDbOn, type ServiceDb, type ServiceTables } from '../testing/service-db.js';
import type { Bus } from '../types.js';
import { createOutboxRelay, type OutboxRelay } from './outbox-relay.js';
import { writeOutbox } from './write-outbox.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

// Embedded mode: service schema and bus schema share one single-session PGlite instance, so
// relay, bus and inbox consumer must never query outside the transaction they hold.
describe('outbox → local bus → inbox consumer on one PGlite', () => {
  let pglite: PgliteHandle;
  let svc: ServiceDb;
  let bus: Bus;
  let relay: OutboxRelay;

  beforeAll(async () => {
    pglite = await createPglite();
    const busDb = createPgliteDatabase({ pglite, schema: 'bus' });
    await migrate(busDb, localBusMigrations);
    bus = createLocalBus({ database: busDb, logger: testLogger(), pollIntervalMs: 100 });
    const database = createPgliteDatabase<ServiceTables>({ pglite, schema: 'svc' });
    svc = await serviceDbOn(database, async () => undefined);
    relay = createOutboxRelay({ database, bus, logger: testLogger(), pollIntervalMs: 50 });
  });
  afterAll(async () => {
    await relay?.stop();
    await bus?.drain();
    await pglite?.close();
  });

  it('applies each committed event exactly once and never a rolled-back one', async () => {
    const subject = 'kith.events.test.counted';
    const sub = await createInboxConsumer({
      database: svc.database,
      bus,
      durable: 'counter',
      subjects: subject,
      logger: testLogger(),
      handler: (trx, m) => svc.increment(trx, dec.decode(m.data)),
    });
    relay.start();
    for (const name of ['a', 'b', 'c']) {
      await svc.database.transaction((trx) =>
        writeOutbox(trx, { subject, data: enc.encode(name) }),
      );
      relay.wake();
    }
    await assert.rejects(
      svc.database.transaction(async (trx) => {
        await writeOutbox(trx, { subject, data: enc.encode('rolled-back') });
        throw new Error('abort');
      }),
    );
    const last = await svc.database.transaction((trx) =>
      writeOutbox(trx, { subject, data: enc.encode('d') }),
    );
    // The relay's crash-and-retry case: the same outbox id published again.
    await bus.publish(
      { id: last, subject, data: enc.encode('d'), headers: {} },
      { dedupKey: 'again' },
    );
    await waitFor(async () => (await svc.counters()).d === 1, { what: 'last event' });
    await new Promise((r) => setTimeout(r, 300));
    await sub.stop();
    assert.deepEqual(await svc.counters(), { a: 1, b: 1, c: 1, d: 1 });
  });
});
