import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { requireService, uniqueName } from '@kith/testkit';
import { runTopicLogContract } from '../testing/topic-log-contract.js';
import { createMemoryTopicLog } from './memory-topic-log.js';
import { createNatsTopicLog } from './nats-topic-log.js';
import type { TopicLog, TopicLogLimits } from './types.js';

const url = await requireService('nats');

/** One memory log is one process: every "replica" shares it, as the embedded mode's do. */
runTopicLogContract('memory', async () => {
  const shared = createMemoryTopicLog();
  const view = (log: TopicLog): TopicLog => ({ ...log, close: async () => {} });
  return {
    create: async (limits?: TopicLogLimits) =>
      limits ? createMemoryTopicLog(limits) : view(shared),
    teardown: () => shared.close(),
  };
});

runTopicLogContract('JetStream', async () => {
  if (!url) return undefined;
  const ns = uniqueName('rt');
  const streamName = `${ns.toUpperCase()}_REALTIME`;
  return {
    create: (limits?: TopicLogLimits) =>
      createNatsTopicLog({
        servers: url,
        name: `topic-log-test-${ns}`,
        streamName,
        subjectPrefix: `${ns}.realtime`,
        ...limits,
      }),
    async teardown() {
      const nc = await connect({ servers: url });
      const jsm = await jetstreamManager(nc);
      await jsm.streams.delete(streamName).catch(() => undefined);
      await nc.close();
    },
  };
});
