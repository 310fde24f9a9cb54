import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { requireService, waitFor } from '@kith/testkit';
import { context } from '@opentelemetry/api';
import { Registry } from 'prom-client';
import { sql } from 'kysely';
import {
  natsHarness,
  localPostgresHarness,
  testLogger,
  type BusHarness,
} from '../testing/harness.js';
import { installTracePropagation, spanContext } from '../testing/otel.js';
import { createServiceDb, type ServiceDb } from '../testing/service-db.js';
import type { Bus, DeliveredMessage } from '../types.js';
import { createOutboxRelay } from './outbox-relay.js';
import { writeOutbox, writeOutboxMany } from './write-outbox.js';

installTracePropagation();
const pgUrl = await requireService('postgres');
const natsUrl = await requireService('nats');
const enc = new TextEncoder();
const dec = new TextDecoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const adapters: [string, (() => Promise<BusHarness>) | undefined][] = [
  ['JetStream', natsUrl ? () => natsHarness(natsUrl) : undefined],
  ['local bus', pgUrl ? () => localPostgresHarness(pgUrl) : undefined],
];

/** Counts publish calls so double publishing is visible even where broker dedup hides it. */
function countingBus(bus: Bus): Bus & { published: string[] } {
  const published: string[] = [];
  return {
    ...bus,
    published,
    async publish(msg, options) {
      published.push(msg.id);
      await bus.publish(msg, options);
    },
    async publishMany(msgs) {
      published.push(...msgs.map((m) => m.id));
      await bus.publishMany(msgs);
    },
  };
}

for (const [name, makeHarness] of adapters) {
  describe.skipIf(!pgUrl || !makeHarness)(`transactional outbox over ${name}`, () => {
    let harness: BusHarness;
    let bus: Bus;
    let svc: ServiceDb;
    let n = 0;
    const subjectFor = (what: string) => `${harness.ns}.events.${what}${++n}`;

    beforeAll(async () => {
      harness = await (makeHarness as () => Promise<BusHarness>)();
      bus = await harness.createBus();
      svc = await createServiceDb(pgUrl as string);
    });
    afterAll(async () => {
      await harness?.teardown();
      await svc?.teardown();
    });

    async function collect(subject: string, durable: string) {
      const got: DeliveredMessage[] = [];
      const sub = await bus.consume({
        durable,
        subjects: subject,
        handler: async (m) => void got.push(m),
      });
      return { got, stop: () => sub.stop() };
    }

    it('two racing relays publish every committed row exactly once, with its id and trace context', async () => {
      const subject = subjectFor('committed');
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const spanId = '00f067aa0ba902b7';
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) {
        ids.push(
          await context.with(spanContext(traceId, spanId), () =>
            svc.database.transaction((trx) =>
              writeOutbox(trx, {
                subject,
                data: enc.encode(`e${i}`),
                headers: { 'x-i': String(i) },
              }),
            ),
          ),
        );
      }
      const counting = countingBus(bus);
      const registry = new Registry();
      const relays = [0, 1].map(() =>
        createOutboxRelay({
          database: svc.database,
          bus: counting,
          logger: testLogger(),
          batchSize: 2,
          metrics: registry,
        }),
      );
      // Two relays race over the same rows; SKIP LOCKED must keep them off each other's rows.
      await Promise.all(
        relays.map(async (relay) => {
          while ((await relay.relayOnce()) > 0);
        }),
      );
      assert.deepEqual(
        [...counting.published].sort(),
        [...ids].sort(),
        'each row published by exactly one relay',
      );

      const { got, stop } = await collect(subject, `committed${n}`);
      await waitFor(() => got.length >= 10, { what: 'ten events' });
      await sleep(300);
      await stop();
      // Two relays interleave their batches, so only a single relay promises order (next test).
      assert.deepEqual(got.map((m) => m.id).sort(), [...ids].sort());
      for (const m of got) {
        const i = ids.indexOf(m.id);
        assert.equal(dec.decode(m.data), `e${i}`);
        assert.equal(m.headers['x-i'], String(i));
        assert.equal(m.headers.traceparent, `00-${traceId}-${spanId}-01`);
      }

      const unpublished = await svc.database.db
        .selectFrom('outbox')
        .select('id')
        .where('published_at', 'is', null)
        .execute();
      assert.deepEqual(unpublished, []);
      const published = await registry.getSingleMetric('kith_outbox_published_total')?.get();
      assert.equal(
        published?.values.reduce((s, v) => s + v.value, 0),
        10,
      );
      const lag = await registry.getSingleMetric('kith_outbox_lag_seconds')?.get();
      assert.equal(lag?.values[0]?.value, 0);
    });

    it('the lag is the age of the oldest row a full batch left behind, and 0 once drained', async () => {
      const subject = subjectFor('lag');
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        ids.push(
          await svc.database.transaction((trx) =>
            writeOutbox(trx, { subject, data: enc.encode(`l${i}`) }),
          ),
        );
      }
      // The last row has waited a minute; the first two are taken by a batch of two.
      await svc.database.db
        .updateTable('outbox')
        .set({ created_at: sql`now() - interval '60 seconds'` })
        .where('id', '=', ids[2]!)
        .execute();
      const registry = new Registry();
      const relay = createOutboxRelay({
        database: svc.database,
        bus,
        logger: testLogger(),
        batchSize: 2,
        metrics: registry,
      });
      const lag = async () =>
        (await registry.getSingleMetric('kith_outbox_lag_seconds')?.get())?.values[0]?.value;
      assert.equal(await relay.relayOnce(), 2);
      const behind = await lag();
      assert.ok(behind !== undefined && behind >= 59 && behind < 120, `lag ${behind}`);
      assert.equal(await relay.relayOnce(), 1);
      assert.equal(await lag(), 0);
    });

    it('one relay publishes committed rows in order and never one from a rolled-back transaction', async () => {
      const subject = subjectFor('rollback');
      await assert.rejects(
        svc.database.transaction(async (trx) => {
          await writeOutbox(trx, { subject, data: enc.encode('rolled back') });
          throw new Error('abort');
        }),
        /abort/,
      );
      const kept: string[] = [];
      for (const text of ['k0', 'k1', 'k2']) {
        kept.push(
          await svc.database.transaction((trx) =>
            writeOutbox(trx, { subject, data: enc.encode(text) }),
          ),
        );
      }
      const relay = createOutboxRelay({
        database: svc.database,
        bus,
        logger: testLogger(),
        pollIntervalMs: 50,
      });
      relay.start();
      const { got, stop } = await collect(subject, `rollback${n}`);
      await waitFor(() => got.length >= 3, { what: 'kept events' });
      await sleep(300);
      await Promise.all([stop(), relay.stop()]);
      assert.deepEqual(
        got.map((m) => [m.id, dec.decode(m.data)]),
        kept.map((id, i) => [id, `k${i}`]),
      );
    });

    it('a pass that fails part-way leaves its rows unpublished, and the next pass delivers each once', async () => {
      const subject = subjectFor('partial');
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        ids.push(
          await svc.database.transaction((trx) =>
            writeOutbox(trx, { subject, data: enc.encode(`p${i}`) }),
          ),
        );
      }
      // The broker stores the first half of the first batch, then the connection fails.
      let failNext = true;
      const flaky: Bus = {
        ...bus,
        async publishMany(msgs) {
          if (!failNext) return bus.publishMany(msgs);
          failNext = false;
          await bus.publishMany(msgs.slice(0, 3));
          throw new Error('connection lost');
        },
      };
      const relay = createOutboxRelay({ database: svc.database, bus: flaky, logger: testLogger() });
      await assert.rejects(relay.relayOnce(), /connection lost/);
      const pending = () =>
        svc.database.db
          .selectFrom('outbox')
          .select('id')
          .where('id', 'in', ids)
          .where('published_at', 'is', null)
          .execute();
      assert.equal((await pending()).length, 6, 'nothing marked published by the failed pass');
      assert.equal(await relay.relayOnce(), 6);
      assert.deepEqual(await pending(), []);

      const { got, stop } = await collect(subject, `partial${n}`);
      await waitFor(() => got.length >= 6, { what: 'six events' });
      await sleep(300);
      await stop();
      assert.deepEqual(
        got.map((m) => dec.decode(m.data)),
        ids.map((_, i) => `p${i}`),
      );
    });

    it('a started relay publishes a committed row at once, not at its next poll; wake() covers rows written outside a transaction; stop() ends it', async () => {
      const subject = subjectFor('wake');
      const relay = createOutboxRelay({
        database: svc.database,
        bus,
        logger: testLogger(),
        pollIntervalMs: 60_000,
      });
      relay.start();
      const { got, stop } = await collect(subject, `wake${n}`);
      // Let the first (empty) pass finish so the relay is in its long sleep.
      await sleep(200);
      const id = await svc.database.transaction((trx) =>
        writeOutbox(trx, { subject, data: enc.encode('w') }),
      );
      // The commit itself wakes the relay: a minute-long poll would time this out.
      await waitFor(() => got.length >= 1, { what: 'relay woken by the commit' });
      assert.equal(got[0]?.id, id);
      const loose = await writeOutbox(svc.database.db, { subject, data: enc.encode('x') });
      relay.wake();
      await waitFor(() => got.length >= 2, { what: 'woken relay' });
      await Promise.all([stop(), relay.stop()]);
      assert.equal(got[1]?.id, loose);
    });

    it('a started relay publishes what a commit wrote once, marks it, and leaves a failed publish to its next pass', async () => {
      const subject = subjectFor('commit-path');
      let failNext = false;
      const counting = countingBus({
        ...bus,
        async publishMany(msgs) {
          if (failNext) {
            failNext = false;
            throw new Error('connection lost');
          }
          await bus.publishMany(msgs);
        },
      });
      const relay = createOutboxRelay({
        database: svc.database,
        bus: counting,
        logger: testLogger(),
        pollIntervalMs: 60_000,
      });
      relay.start();
      const { got, stop } = await collect(subject, `commit-path${n}`);
      await sleep(200); // the first pass is done: the relay sleeps a minute
      counting.published.length = 0;
      const written = await svc.database.transaction((trx) =>
        writeOutboxMany(trx, [
          { subject, data: enc.encode('c0') },
          { subject, data: enc.encode('c1') },
        ]),
      );
      const unmarked = () =>
        svc.database.db
          .selectFrom('outbox')
          .select('id')
          .where('id', 'in', written)
          .where('published_at', 'is', null)
          .execute();
      await waitFor(async () => got.length >= 2 && (await unmarked()).length === 0, {
        what: "the commit's rows published and marked",
      });
      assert.deepEqual(
        got.map((m) => [m.id, dec.decode(m.data)]),
        written.map((id, i) => [id, `c${i}`]),
      );
      assert.deepEqual(counting.published, written, 'published once each, by the commit');

      // The commit path's publish fails: the rows stay unmarked and the woken pass sends them.
      failNext = true;
      const retried = await svc.database.transaction((trx) =>
        writeOutbox(trx, { subject, data: enc.encode('c2') }),
      );
      await waitFor(() => got.length >= 3, { what: 'the failed row from the next pass' });
      await Promise.all([stop(), relay.stop()]);
      assert.equal(got[2]?.id, retried);
      const [row] = await svc.database.db
        .selectFrom('outbox')
        .select('published_at')
        .where('id', '=', retried)
        .execute();
      assert.notEqual(row?.published_at, null);
    });

    it('purges published rows past the retention and keeps the rest', async () => {
      const subject = subjectFor('purge');
      const old = await svc.database.transaction((trx) =>
        writeOutbox(trx, { subject, data: enc.encode('old') }),
      );
      const relay = createOutboxRelay({
        database: svc.database,
        bus,
        logger: testLogger(),
        retentionDays: 7,
      });
      await relay.relayOnce();
      const pending = await svc.database.transaction((trx) =>
        writeOutbox(trx, { subject, data: enc.encode('pending') }),
      );
      await svc.database.db
        .updateTable('outbox')
        .set({ published_at: sql<Date>`now() - interval '8 days'` })
        .where('id', '=', old)
        .execute();
      assert.ok((await relay.purge()) >= 1);
      const left = await svc.database.db
        .selectFrom('outbox')
        .select('id')
        .where('id', 'in', [old, pending])
        .execute();
      assert.deepEqual(
        left.map((r) => r.id),
        [pending],
      );
      await relay.relayOnce();
    });
  });
}
