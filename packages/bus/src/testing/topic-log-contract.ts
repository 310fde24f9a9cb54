import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { uuidv7 } from 'uuidv7';
import type { TopicLog, TopicLogLimits } from '../topic-log/types.js';

export interface TopicLogHarness {
  /** A log over the harness's shared state (another replica, or a restart of this one). */
  create(limits?: TopicLogLimits): Promise<TopicLog>;
  teardown(): Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
/** The stored bytes embed the number, as the gateway's frames do. */
const record = (label: string) => (seq: bigint) => enc.encode(`${seq}:${label}`);
const texts = (records: { data: Uint8Array }[]) => records.map((r) => dec.decode(r.data));

/**
 * The behaviour every TopicLog adapter must have. `factory` returns undefined when the
 * adapter's infrastructure is missing, which skips the suite.
 */
export function runTopicLogContract(
  name: string,
  factory: () => Promise<TopicLogHarness | undefined>,
) {
  describe(`TopicLog contract: ${name}`, () => {
    let harness: TopicLogHarness | undefined;
    let log: TopicLog;
    const topic = (what: string) => `${what}.${uuidv7()}`;

    beforeAll(async () => {
      harness = await factory();
      if (harness) log = await harness.create();
    });
    afterAll(async () => {
      await log?.close();
      await harness?.teardown();
    });
    const test = (title: string, fn: () => Promise<void>) =>
      it(title, async (t) => {
        if (!harness) return t.skip('infrastructure unavailable');
        await fn();
      });

    test('numbers each topic densely from 1 and reads back what follows a cursor', async () => {
      const a = topic('a');
      const b = topic('b');
      assert.equal(await log.head(a), 0n);
      const first = await log.append(a, uuidv7(), record('x'));
      assert.deepEqual(first.duplicate ? 'dup' : [first.seq, dec.decode(first.data)], [1n, '1:x']);
      await log.append(b, uuidv7(), record('other topic'));
      await log.append(a, uuidv7(), record('y'));
      await log.append(a, uuidv7(), record('z'));
      assert.equal(await log.head(a), 3n);
      assert.equal(await log.head(b), 1n);

      const all = await log.read(a, 0n);
      assert.equal(all.head, 3n);
      assert.deepEqual(texts(all.records), ['1:x', '2:y', '3:z']);
      assert.deepEqual(
        all.records.map((r) => r.seq),
        [1n, 2n, 3n],
      );
      assert.deepEqual(texts((await log.read(a, 2n)).records), ['3:z']);
      assert.deepEqual(await log.read(a, 3n), { head: 3n, records: [] });
      assert.deepEqual(await log.read(topic('empty'), 0n), { head: 0n, records: [] });
    });

    test('an append key seen before stores nothing and takes no number', async () => {
      const a = topic('dedup');
      const key = uuidv7();
      await log.append(a, key, record('once'));
      await log.append(a, uuidv7(), record('next'));
      assert.deepEqual(await log.append(a, key, record('again')), { duplicate: true });
      assert.equal(await log.head(a), 2n);
      assert.deepEqual(texts((await log.read(a, 0n)).records), ['1:once', '2:next']);
    });

    test('two replicas appending to one topic at once never share or skip a number', async () => {
      const other = await harness!.create();
      try {
        const a = topic('race');
        await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            (i % 2 ? log : other).append(a, uuidv7(), record(String(i))),
          ),
        );
        const { head, records } = await other.read(a, 0n);
        assert.equal(head, 40n);
        assert.deepEqual(
          records.map((r) => r.seq),
          Array.from({ length: 40 }, (_, i) => BigInt(i + 1)),
        );
        // Every record carries the number it was stored under.
        for (const r of records) assert.ok(dec.decode(r.data).startsWith(`${r.seq}:`));
        // A replica that appended before learns of the other's appends.
        const next = await log.append(a, uuidv7(), record('after'));
        assert.equal(next.duplicate ? 0n : next.seq, 41n);
      } finally {
        await other.close();
      }
    });

    test('keeps at most maxRecords per topic: older numbers are no longer held', async () => {
      const small = await harness!.create({ maxRecords: 5 });
      try {
        const a = topic('bounded');
        for (let i = 0; i < 8; i += 1) await small.append(a, uuidv7(), record(String(i)));
        const read = await small.read(a, 1n);
        assert.equal(read.head, 8n);
        assert.deepEqual(
          read.records.map((r) => r.seq),
          [4n, 5n, 6n, 7n, 8n],
        );
      } finally {
        await small.close();
      }
    });

    test('purge forgets a topic and its numbering restarts', async () => {
      const a = topic('purged');
      const b = topic('kept');
      await log.append(a, uuidv7(), record('gone'));
      await log.append(a, uuidv7(), record('gone too'));
      await log.append(b, uuidv7(), record('stays'));
      await log.purge(a);
      assert.deepEqual(await log.read(a, 0n), { head: 0n, records: [] });
      assert.equal(await log.head(b), 1n);
      const again = await log.append(a, uuidv7(), record('new'));
      assert.equal(again.duplicate ? 0n : again.seq, 1n);
    });

    test('refuses a topic that is not dot-separated lower-case tokens', async () => {
      await assert.rejects(log.append('a.>', uuidv7(), record('x')), /invalid topic/);
      await assert.rejects(log.head('A'), /invalid topic/);
    });
  });
}
