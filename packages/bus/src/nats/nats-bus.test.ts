import assert from 'node:assert/strict';
import { requireService, uniqueName, waitFor } from '@kith/testkit';
import { afterAll, describe, it } from 'vitest';
import { uuidv7 } from 'uuidv7';
import { runBusContract } from '../testing/bus-contract.js';
import { deleteStreams, natsHarness, testLogger } from '../testing/harness.js';
import { createNatsBus } from './nats-bus.js';

const url = await requireService('nats');

runBusContract('JetStream', async () => (url ? natsHarness(url) : undefined));

describe.skipIf(!url)('JetStream bus', () => {
  const ns = uniqueName('t');
  const streamName = `${ns.toUpperCase()}_EVENTS`;
  const dlqStreamName = `${ns.toUpperCase()}_DLQ`;
  const deleteOurs = () => deleteStreams(url as string, [streamName, dlqStreamName]);
  afterAll(deleteOurs);

  it('a consumer started after its stream was deleted creates the stream again and delivers', async () => {
    const bus = await createNatsBus({
      servers: url as string,
      name: `bus-test-${ns}`,
      logger: testLogger(),
      streamName,
      subjects: [`${ns}.events.>`],
      dlqStreamName,
      dlqSubjectPrefix: `${ns}.dlq`,
    });
    try {
      // Another deployment sharing the server (or an operator) removes the stream after start-up.
      await deleteOurs();
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
      await bus.drain();
    }
  });
});
