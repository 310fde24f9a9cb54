import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { waitFor } from '@kith/testkit';
import { uuidv7 } from 'uuidv7';
import { deadLetterHeaders } from '../delivery.js';
import { BusNoRespondersError, BusRemoteError, BusTimeoutError } from '../errors.js';
import type { Bus, BusMessage, DeadLetter, DeliveredMessage } from '../types.js';
import type { BusHarness } from './harness.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

function message(subject: string, text: string, headers: Record<string, string> = {}): BusMessage {
  return { id: uuidv7(), subject, data: enc.encode(text), headers };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The behaviour every `Bus` adapter must have. `factory` returns undefined when the adapter's
 * infrastructure is missing (the reason is printed by requireService), which skips the suite.
 */
export function runBusContract(name: string, factory: () => Promise<BusHarness | undefined>) {
  describe(`Bus contract: ${name}`, () => {
    let harness: BusHarness | undefined;
    let bus: Bus;
    let n = 0;
    const events = (what: string) => `${harness?.ns}.events.${what}${++n}`;
    const durable = (what: string) => `${what}_${++n}`;

    beforeAll(async () => {
      harness = await factory();
      if (harness) bus = await harness.createBus();
    });
    afterAll(async () => {
      await harness?.teardown();
    });

    // Skipping needs the harness, which only exists once before() ran.
    const test = (title: string, fn: () => Promise<void>) =>
      it(title, async (t) => {
        if (!harness) return t.skip('infrastructure unavailable');
        await fn();
      });

    test('delivers each published message once, in order, with id, data and headers', async () => {
      const subject = events('created');
      const sent = [
        message(subject, 'a', { traceparent: 'x', 'x-k': 'v' }),
        message(subject, 'b'),
        message(subject, 'c'),
      ];
      for (const m of sent) await bus.publish(m);
      const got: DeliveredMessage[] = [];
      const sub = await bus.consume({
        durable: durable('once'),
        subjects: subject,
        handler: async (m) => void got.push(m),
      });
      await waitFor(() => got.length >= 3, { what: 'three deliveries' });
      await sleep(300);
      await sub.stop();
      assert.deepEqual(
        got.map((m) => ({
          id: m.id,
          subject: m.subject,
          text: dec.decode(m.data),
          headers: m.headers,
          n: m.deliveryCount,
        })),
        sent.map((m) => ({
          id: m.id,
          subject,
          text: dec.decode(m.data),
          headers: m.headers,
          n: 1,
        })),
      );
    });

    test('with concurrency, each delivery is handled once, started in stream order', async () => {
      const subject = events('concurrent');
      const sent = Array.from({ length: 40 }, (_, i) => message(subject, `c${i}`));
      await bus.publishMany(sent);
      const started: string[] = [];
      let finished = 0;
      let running = 0;
      let most = 0;
      const sub = await bus.consume({
        durable: durable('concurrent'),
        subjects: subject,
        concurrency: 8,
        handler: async (m) => {
          started.push(m.id);
          running += 1;
          most = Math.max(most, running);
          await sleep(5);
          running -= 1;
          finished += 1;
        },
      });
      await waitFor(() => finished >= 40, { what: 'every delivery' });
      await sleep(300);
      await sub.stop();
      assert.deepEqual(
        started,
        sent.map((m) => m.id),
        'each once (all acked), started in stream order',
      );
      assert.ok(most <= 8, `at most 8 at once (${most})`);
    });

    test('with order keys, a delivery never overtakes an earlier one sharing a key, and a keyless one waits for all', async () => {
      const subject = events('keyed');
      // Keys a, b, c in turn; "*" has none (undefined) and "-" an empty list.
      const keyOf = (i: number) => (i === 20 ? '*' : i === 7 ? '-' : 'abc'[i % 3]!);
      const sent = Array.from({ length: 36 }, (_, i) => message(subject, `${keyOf(i)}${i}`));
      await bus.publishMany(sent);
      const spans = new Map<string, { start: number; end: number }>();
      let clock = 0;
      let running = 0;
      let most = 0;
      const sub = await bus.consume({
        durable: durable('keyed'),
        subjects: subject,
        concurrency: 6,
        orderKeys: (m) => {
          const key = dec.decode(m.data)[0]!;
          return key === '*' ? undefined : key === '-' ? [] : [key];
        },
        handler: async (m) => {
          const span = { start: ++clock, end: 0 };
          spans.set(m.id, span);
          running += 1;
          most = Math.max(most, running);
          // Earlier deliveries of a key sleep longer: overtaking would show.
          await sleep(2 + ((36 - Number(dec.decode(m.data).slice(1))) % 9));
          running -= 1;
          span.end = ++clock;
        },
      });
      await waitFor(() => [...spans.values()].filter((s) => s.end > 0).length >= 36, {
        what: 'every delivery',
      });
      await sub.stop();
      const span = (i: number) => spans.get(sent[i]!.id)!;
      for (let i = 0; i < 36; i++) {
        for (let j = i + 1; j < 36; j++) {
          const ordered = keyOf(i) === '*' || keyOf(j) === '*' || keyOf(i) === keyOf(j);
          if (ordered && keyOf(i) !== '-' && keyOf(j) !== '-') {
            assert.ok(span(i).end < span(j).start, `${keyOf(i)}${i} ends before ${keyOf(j)}${j}`);
          }
        }
      }
      if (name === 'JetStream') assert.ok(most > 1, `different keys overlapped (${most})`);
    });

    test('with concurrency, stop waits for every delivery in flight', async () => {
      const subject = events('stopping');
      await bus.publishMany(Array.from({ length: 24 }, (_, i) => message(subject, `s${i}`)));
      const started = new Set<string>();
      const finished = new Set<string>();
      const sub = await bus.consume({
        durable: durable('stopping'),
        subjects: subject,
        concurrency: 8,
        handler: async (m) => {
          started.add(m.id);
          await sleep(50);
          finished.add(m.id);
        },
      });
      await waitFor(() => started.size >= 4, { what: 'deliveries in flight' });
      await sub.stop();
      assert.deepEqual([...finished].sort(), [...started].sort(), 'nothing left running');
    });

    test('a message published twice with the same id is delivered once', async () => {
      const subject = events('dup');
      const first = message(subject, 'first');
      const last = message(subject, 'last');
      await bus.publish(first);
      await bus.publish({ ...first, data: enc.encode('again') });
      await bus.publish(last);
      const got: string[] = [];
      const sub = await bus.consume({
        durable: durable('dup'),
        subjects: `${harness?.ns}.events.*`,
        handler: async (m) => {
          if (m.subject === subject) got.push(dec.decode(m.data));
        },
      });
      // Deliveries are in order, so once `last` arrived a duplicate would have too.
      await waitFor(() => got.includes('last'), { what: 'last message' });
      await sub.stop();
      assert.deepEqual(got, ['first', 'last']);
    });

    test('publishMany stores a batch in the given order, skipping ids already published', async () => {
      const subject = events('many');
      const sent = Array.from({ length: 60 }, (_, i) => message(subject, `m${i}`));
      await bus.publish(sent[7]!);
      await bus.publishMany(sent);
      // The same batch again (a relay retrying after a failed pass) adds nothing.
      await bus.publishMany(sent);
      const got: string[] = [];
      const sub = await bus.consume({
        durable: durable('many'),
        subjects: subject,
        handler: async (m) => void got.push(dec.decode(m.data)),
      });
      await waitFor(() => got.length >= 60, { what: 'sixty deliveries' });
      await sleep(300);
      await sub.stop();
      // m7 was stored first, on its own; the rest keep the batch's order.
      assert.deepEqual(got, ['m7', ...sent.flatMap((m, i) => (i === 7 ? [] : [`m${i}`]))]);
    });

    test('a failed delivery is redelivered after the backoff with the count incremented', async () => {
      const subject = events('retry');
      const sent = message(subject, 'flaky');
      await bus.publish(sent);
      const attempts: { count: number; at: number }[] = [];
      const sub = await bus.consume({
        durable: durable('retry'),
        subjects: subject,
        maxDeliver: 3,
        backoffMs: [200, 400],
        handler: async (m) => {
          attempts.push({ count: m.deliveryCount, at: Date.now() });
          if (m.deliveryCount === 1) throw new Error('transient');
        },
      });
      await waitFor(() => attempts.length >= 2, { what: 'redelivery' });
      await sleep(300);
      await sub.stop();
      assert.deepEqual(
        attempts.map((a) => a.count),
        [1, 2],
      );
      const gap = (attempts[1]?.at ?? 0) - (attempts[0]?.at ?? 0);
      assert.ok(gap >= 150, `redelivered after ${gap} ms, before the 200 ms backoff`);
    });

    test('after maxDeliver failures the message is dead-lettered, reported and not redelivered', async () => {
      const subject = events('poison');
      const name = durable('poison');
      const poison = message(subject, 'poison', { traceparent: '00-abc-def-01' });
      await bus.publish(poison);
      const counts: number[] = [];
      const reported: DeadLetter[] = [];
      const sub = await bus.consume({
        durable: name,
        subjects: subject,
        maxDeliver: 3,
        backoffMs: [50, 100],
        handler: async (m) => {
          if (m.id !== poison.id) return;
          counts.push(m.deliveryCount);
          throw new Error('boom');
        },
        onDeadLetter: async (dl) => void reported.push(dl),
      });
      const dlq: DeliveredMessage[] = [];
      const dlqSub = await bus.consume({
        durable: `${name}_dlq`,
        subjects: bus.deadLetterSubject(name),
        handler: async (m) => void dlq.push(m),
      });
      await waitFor(() => dlq.length >= 1 && reported.length >= 1, { what: 'dead letter' });
      await sleep(400);
      await Promise.all([sub.stop(), dlqSub.stop()]);

      assert.deepEqual(counts, [1, 2, 3]);
      assert.equal(reported.length, 1);
      assert.equal(reported[0]?.message.id, poison.id);
      assert.equal(reported[0]?.error, 'boom');
      assert.equal(reported[0]?.deliveryCount, 3);
      assert.equal(dlq.length, 1);
      const dead = dlq[0] as DeliveredMessage;
      assert.equal(dead.subject, bus.deadLetterSubject(name));
      assert.equal(dec.decode(dead.data), 'poison');
      assert.equal(dead.headers[deadLetterHeaders.id], poison.id);
      assert.equal(dead.headers[deadLetterHeaders.subject], subject);
      assert.equal(dead.headers[deadLetterHeaders.error], 'boom');
      assert.equal(dead.headers[deadLetterHeaders.deliveryCount], '3');
      assert.equal(dead.headers[deadLetterHeaders.consumer], name);
      assert.equal(dead.headers.traceparent, '00-abc-def-01');
    });

    test('a consumer restarted with the same durable resumes: nothing lost, nothing acked twice', async () => {
      if (!harness) return;
      const subject = events('resume');
      const name = durable('resume');
      const first = await harness.createBus();
      const before = Array.from({ length: 10 }, (_, i) => message(subject, `m${i}`));
      for (const m of before) await first.publish(m);

      const run1: string[] = [];
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      await first.consume({
        durable: name,
        subjects: subject,
        ackWaitMs: 3000,
        handler: async (m) => {
          run1.push(m.id);
          if (run1.length === 4) await released;
        },
      });
      await waitFor(() => run1.length === 4, { what: 'four deliveries' });
      // The process shuts down while a handler is in flight: drain waits for it.
      let drained = false;
      const draining = first.drain().then(() => (drained = true));
      await sleep(100);
      assert.equal(drained, false, 'drain returned while a handler was still running');
      release();
      await draining;

      const second = await harness.createBus();
      const afterStop = Array.from({ length: 5 }, (_, i) => message(subject, `n${i}`));
      for (const m of afterStop) await second.publish(m);
      const run2: string[] = [];
      await second.consume({
        durable: name,
        subjects: subject,
        ackWaitMs: 3000,
        handler: async (m) => void run2.push(m.id),
      });
      const all = [...before, ...afterStop].map((m) => m.id);
      await waitFor(() => new Set([...run1, ...run2]).size === all.length, {
        timeoutMs: 15_000,
        what: 'every message',
      });
      await sleep(300);
      assert.equal(run1.length, 4);
      assert.deepEqual(
        [...run1, ...run2].sort(),
        [...all].sort(),
        'each message handled exactly once across the restart',
      );
    });

    test('request/reply carries data and headers; timeout, no responder and handler failure are typed', async () => {
      const subject = `${harness?.ns}.rpc.echo`;
      const echo = await bus.serve(subject, async (req) =>
        enc.encode(`${dec.decode(req.data).toUpperCase()}:${req.headers['x-who']}`),
      );
      const slow = await bus.serve(`${harness?.ns}.rpc.slow`, async () => {
        await sleep(400);
        return enc.encode('late');
      });
      const failing = await bus.serve(`${harness?.ns}.rpc.fail`, async () => {
        throw new Error('nope');
      });
      try {
        const reply = await bus.request(subject, enc.encode('hi'), {
          timeoutMs: 2000,
          headers: { 'x-who': 'ann' },
        });
        assert.equal(dec.decode(reply), 'HI:ann');
        await assert.rejects(
          bus.request(`${harness?.ns}.rpc.slow`, enc.encode(''), { timeoutMs: 100 }),
          BusTimeoutError,
        );
        await assert.rejects(
          bus.request(`${harness?.ns}.rpc.nobody`, enc.encode(''), { timeoutMs: 2000 }),
          BusNoRespondersError,
        );
        await assert.rejects(
          bus.request(`${harness?.ns}.rpc.fail`, enc.encode(''), { timeoutMs: 2000 }),
          (err: unknown) => {
            assert.ok(err instanceof BusRemoteError);
            assert.match(err.message, /nope/);
            return true;
          },
        );
      } finally {
        await Promise.all([echo.stop(), slow.stop(), failing.stop()]);
      }
    });

    test('replicas serving one subject share requests through a queue group', async () => {
      const subject = `${harness?.ns}.rpc.shared`;
      const served = [0, 0];
      const subs = await Promise.all(
        [0, 1].map((i) =>
          bus.serve(subject, async () => {
            served[i] = (served[i] ?? 0) + 1;
            return enc.encode(String(i));
          }),
        ),
      );
      try {
        for (let i = 0; i < 30; i++)
          await bus.request(subject, enc.encode(''), { timeoutMs: 2000 });
      } finally {
        await Promise.all(subs.map((s) => s.stop()));
      }
      assert.equal((served[0] ?? 0) + (served[1] ?? 0), 30, 'each request served exactly once');
      assert.ok(
        (served[0] ?? 0) > 0 && (served[1] ?? 0) > 0,
        `load not shared: ${served.join('/')}`,
      );
    });

    test('a live subscriber sees durable publishes on its subjects from now on, in order', async () => {
      const subject = events('watched');
      await bus.publish(message(subject, 'before'));
      const got: string[] = [];
      const sub = bus.subscribeLive(subject, (m) => got.push(dec.decode(m.data)));
      try {
        // NATS: the subscription reaches the server before the publishes that follow.
        await bus.ping();
        for (const text of ['a', 'b', 'c']) await bus.publish(message(subject, text));
        await waitFor(() => got.length >= 3, { what: 'three live deliveries' });
      } finally {
        sub.unsubscribe();
      }
      assert.deepEqual(got, ['a', 'b', 'c']);
    });

    test('live messages reach matching subscribers until they unsubscribe', async () => {
      const live = `${harness?.ns}.live`;
      const got: string[] = [];
      const sentinel: string[] = [];
      const sub = bus.subscribeLive(`${live}.*`, (m) =>
        got.push(`${m.subject}=${dec.decode(m.data)}`),
      );
      bus.publishLive(`${live}.a`, enc.encode('1'));
      bus.publishLive(`${harness?.ns}.other.a`, enc.encode('x'));
      await waitFor(() => got.length >= 1, { what: 'live message' });
      sub.unsubscribe();
      const sentinelSub = bus.subscribeLive(`${live}.b`, (m) => sentinel.push(dec.decode(m.data)));
      bus.publishLive(`${live}.a`, enc.encode('2'));
      bus.publishLive(`${live}.b`, enc.encode('s'));
      await waitFor(() => sentinel.length >= 1, { what: 'sentinel' });
      sentinelSub.unsubscribe();
      assert.deepEqual(got, [`${live}.a=1`]);
    });
  });
}
