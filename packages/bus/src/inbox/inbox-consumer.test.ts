import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { requireService, waitFor } from '@kith/testkit';
import { context, trace } from '@opentelemetry/api';
import { Registry } from 'prom-client';
import { uuidv7 } from 'uuidv7';
import { deadLetterHeaders } from '../delivery.js';
import {
  localPostgresHarness,
  natsHarness,
  testLogger,
  type BusHarness,
} from '../testing/harness.js';
import { installTracePropagation } from '../testing/otel.js';
import { createServiceDb, type ServiceDb } from '../testing/service-db.js';
import type { Bus, BusMessage, DeliveredMessage } from '../types.js';
import { createInboxConsumer } from './inbox-consumer.js';
import { DeadLetterNotFoundError, replayDeadLetter } from './replay.js';

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

function message(subject: string, name: string, headers: Record<string, string> = {}): BusMessage {
  return { id: uuidv7(), subject, data: enc.encode(name), headers };
}

async function metricTotal(registry: Registry, name: string): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  return metric?.values.reduce((sum, v) => sum + v.value, 0) ?? 0;
}

for (const [name, makeHarness] of adapters) {
  describe.skipIf(!pgUrl || !makeHarness)(`inbox consumer over ${name}`, () => {
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

    /** The effect: counters[name] += 1 in the consumer's transaction. */
    const counting =
      (onMessage?: (m: DeliveredMessage) => void) =>
      async (trx: Parameters<ServiceDb['increment']>[0], m: DeliveredMessage) => {
        onMessage?.(m);
        await svc.increment(trx, dec.decode(m.data));
      };

    it('applies a redelivered message (same id) exactly once', async () => {
      const subject = subjectFor('dup');
      const registry = new Registry();
      const x = message(subject, `x${n}`);
      const sentinel = message(subject, `s${n}`);
      await bus.publish(x);
      // Same id under a new dedup key: what a redelivery past the broker's window looks like.
      await bus.publish(x, { dedupKey: `${x.id}:again` });
      await bus.publish(sentinel);
      const sub = await createInboxConsumer({
        database: svc.database,
        bus,
        durable: `dup${n}`,
        subjects: subject,
        handler: counting(),
        logger: testLogger(),
        metrics: registry,
      });
      await waitFor(async () => (await svc.counters())[`s${n}`] === 1, { what: 'sentinel effect' });
      await sub.stop();
      const counters = await svc.counters();
      assert.equal(counters[`x${n}`], 1);
      assert.equal(await metricTotal(registry, 'kith_inbox_duplicates_total'), 1);
      assert.equal(await metricTotal(registry, 'kith_inbox_processed_total'), 2);
    });

    it('acknowledges an ignored subject without a transaction, an inbox row or the handler, and goes on', async () => {
      const base = subjectFor('ignore');
      const registry = new Registry();
      const durable = `ignore${n}`;
      const ignored = message(`${base}.echo`, `i${n}`);
      const kept = message(`${base}.kept`, `k${n}`);
      await bus.publish(ignored);
      await bus.publish(kept);
      const handled: string[] = [];
      const sub = await createInboxConsumer({
        database: svc.database,
        bus,
        durable,
        subjects: `${base}.>`,
        ignoredSubjects: [`${base}.echo`],
        handler: counting((m) => handled.push(m.subject)),
        logger: testLogger(),
        metrics: registry,
      });
      await waitFor(async () => (await svc.counters())[`k${n}`] === 1, { what: 'kept effect' });
      await sub.stop();
      assert.deepEqual(handled, [`${base}.kept`]);
      assert.equal((await svc.counters())[`i${n}`], undefined);
      const inbox = await svc.database.db
        .selectFrom('inbox')
        .select('message_id')
        .where('consumer', '=', durable)
        .execute();
      assert.deepEqual(
        inbox.map((r) => r.message_id),
        [kept.id],
      );
      assert.equal(await metricTotal(registry, 'kith_inbox_ignored_total'), 1);
      // Acknowledged, not left pending: a restarted consumer is not handed it again.
      const again: string[] = [];
      const restarted = await createInboxConsumer({
        database: svc.database,
        bus,
        durable,
        subjects: `${base}.>`,
        handler: counting((m) => again.push(m.subject)),
        logger: testLogger(),
      });
      await sleep(300);
      await restarted.stop();
      assert.deepEqual(again, []);
    });

    it('applies every message exactly once across a consumer restart mid-stream', async () => {
      const subject = subjectFor('restart');
      const durable = `restart${n}`;
      const names = Array.from({ length: 20 }, (_, i) => `r${n}_${i}`);
      for (const name of names) await bus.publish(message(subject, name));
      const handler = counting();
      let seen = 0;
      const first = await createInboxConsumer({
        database: svc.database,
        bus,
        durable,
        subjects: subject,
        logger: testLogger(),
        handler: async (trx, m) => {
          seen++;
          await sleep(5);
          await handler(trx, m);
        },
      });
      await waitFor(() => seen >= 7, { what: 'first deliveries' });
      await first.stop();
      const restartedBus = await harness.createBus();
      const second = await createInboxConsumer({
        database: svc.database,
        bus: restartedBus,
        durable,
        subjects: subject,
        handler,
        logger: testLogger(),
      });
      await waitFor(
        async () => {
          const c = await svc.counters();
          return names.every((name) => c[name] !== undefined);
        },
        { what: 'all effects', timeoutMs: 15_000 },
      );
      await sleep(300);
      await second.stop();
      const counters = await svc.counters();
      assert.deepEqual(
        names.map((name) => counters[name]),
        names.map(() => 1),
      );
    });

    it('rolls back a failed attempt, retries, and continues the trace from the headers', async () => {
      const subject = subjectFor('flaky');
      const traceId = '0af7651916cd43dd8448eb211c80319c';
      const m = message(subject, `f${n}`, { traceparent: `00-${traceId}-b7ad6b7169203331-01` });
      await bus.publish(m);
      const traceIds: string[] = [];
      let attempts = 0;
      const sub = await createInboxConsumer({
        database: svc.database,
        bus,
        durable: `flaky${n}`,
        subjects: subject,
        backoffMs: [50],
        logger: testLogger(),
        handler: async (trx, msg) => {
          traceIds.push(trace.getSpanContext(context.active())?.traceId ?? 'none');
          // The increment lands, then the attempt fails: the rollback must undo it.
          await svc.increment(trx, dec.decode(msg.data));
          if (++attempts === 1) throw new Error('transient');
        },
      });
      await waitFor(() => attempts >= 2, { what: 'retry' });
      await sleep(200);
      await sub.stop();
      assert.equal((await svc.counters())[`f${n}`], 1);
      assert.deepEqual(traceIds, [traceId, traceId]);
    });

    it('dead-letters after maxDeliver into the table and stream; replay applies it once', async () => {
      const subject = subjectFor('poison');
      const durable = `poison${n}`;
      const other = `bystander${n}`;
      const poison = message(subject, `p${n}`, { 'x-k': 'v' });
      const registry = new Registry();
      let broken = true;
      const attempts: number[] = [];
      // A second consumer of the subject succeeds; the replay must not apply twice for it.
      const bystander = await createInboxConsumer({
        database: svc.database,
        bus,
        durable: other,
        subjects: subject,
        logger: testLogger(),
        handler: async (trx, m) => svc.increment(trx, `${other}:${dec.decode(m.data)}`),
      });
      const sub = await createInboxConsumer({
        database: svc.database,
        bus,
        durable,
        subjects: subject,
        maxDeliver: 2,
        backoffMs: [50],
        logger: testLogger(),
        metrics: registry,
        handler: async (trx, m) => {
          attempts.push(m.deliveryCount);
          await svc.increment(trx, dec.decode(m.data));
          if (broken) throw new Error('cannot handle');
        },
      });
      const dlq: DeliveredMessage[] = [];
      const dlqSub = await bus.consume({
        durable: `${durable}_dlq`,
        subjects: bus.deadLetterSubject(durable),
        handler: async (m) => void dlq.push(m),
      });
      await bus.publish(poison);

      const deadLetter = async () =>
        svc.database.db
          .selectFrom('dead_letters')
          .selectAll()
          .where('consumer', '=', durable)
          .executeTakeFirst();
      await waitFor(async () => (await deadLetter()) !== undefined && dlq.length === 1, {
        what: 'dead letter',
      });
      const row = await deadLetter();
      assert.ok(row);
      assert.equal(row.message_id, poison.id);
      assert.equal(row.subject, subject);
      assert.equal(dec.decode(row.data), `p${n}`);
      assert.equal(row.headers['x-k'], 'v');
      assert.equal(row.error, 'cannot handle');
      assert.equal(row.delivery_count, 2);
      assert.equal(row.replayed_at, null);
      assert.deepEqual(attempts, [1, 2]);
      assert.equal((await svc.counters())[`p${n}`], undefined, 'failed attempts left no effect');
      assert.equal(dlq[0]?.headers[deadLetterHeaders.id], poison.id);
      assert.equal(await metricTotal(registry, 'kith_inbox_dead_lettered_total'), 1);

      broken = false;
      await replayDeadLetter(svc.database, bus, row.id);
      await waitFor(async () => (await svc.counters())[`p${n}`] === 1, { what: 'replayed effect' });
      await sleep(300);
      await Promise.all([sub.stop(), bystander.stop(), dlqSub.stop()]);
      const counters = await svc.counters();
      assert.equal(counters[`p${n}`], 1);
      assert.equal(
        counters[`${other}:p${n}`],
        1,
        'the bystander skipped the replay through its inbox',
      );
      assert.notEqual((await deadLetter())?.replayed_at, null);
      await assert.rejects(replayDeadLetter(svc.database, bus, row.id), DeadLetterNotFoundError);
    });
  });
}
