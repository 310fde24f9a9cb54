import assert from 'node:assert/strict';
import { requireService, waitFor } from '@kith/testkit';
import { describe, it } from 'vitest';
import { uuidv7 } from 'uuidv7';
import { runBusContract } from '../testing/bus-contract.js';
import { deleteStreams, natsHarness } from '../testing/harness.js';

const url = await requireService('nats');

runBusContract('JetStream', async () => (url ? natsHarness(url) : undefined));

describe.skipIf(!url)('JetStream bus', () => {
  it('a consumer started after its stream was deleted creates the stream again and delivers', async () => {
    const harness = await natsHarness(url as string);
    const { ns } = harness;
    try {
      const bus = await harness.createBus();
      // Another deployment sharing the server (or an operator) removes the stream after start-up.
      await deleteStreams(url as string, harness.streams);
      const got: string[] = [];
      const sub = await bus.consume({
        durable: 'after_delete',
        subjects: `${ns}.events.x`,
        handler: async (m) => void got.push(m.id),
      });
      const id = uuidv7();
      await bus.publish({ id, subject: `${ns}.events.x`, data: new Uint8Array([1]), headers: {} });
      await waitFor(() => got.length === 1, { what: 'the delivery' });
      assert.deepEqual(got, [id]);
      await sub.stop();
    } finally {
      await harness.teardown();
    }
  });

  it('with concurrency, deliveries overlap: a burst waits on the broker side by side', async () => {
    const harness = await natsHarness(url as string);
    const { ns } = harness;
    try {
      const bus = await harness.createBus();
      const subject = `${ns}.events.burst`;
      await bus.publishMany(
        Array.from({ length: 16 }, () => ({
          id: uuidv7(),
          subject,
          data: new Uint8Array([1]),
          headers: {},
        })),
      );
      let running = 0;
      let most = 0;
      let done = 0;
      const sub = await bus.consume({
        durable: 'burst',
        subjects: subject,
        concurrency: 4,
        handler: async () => {
          running += 1;
          most = Math.max(most, running);
          await new Promise((r) => setTimeout(r, 20));
          running -= 1;
          done += 1;
        },
      });
      await waitFor(() => done === 16, { what: 'the burst' });
      await sub.stop();
      assert.equal(most, 4);
    } finally {
      await harness.teardown();
    }
  });
});
