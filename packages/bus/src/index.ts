export type {
  Bus,
  BusMessage,
  ConsumeOptions,
  DeadLetter,
  DeliveredMessage,
  LiveMessage,
  LiveSubscription,
  PublishOptions,
  Request,
  RequestOptions,
  ServeOptions,
  Subscription,
} from './types.js';
export {
  BusNoRespondersError,
  BusRemoteError,
  BusRequestError,
  BusTimeoutError,
} from './errors.js';
export {
  deadLetterHeaders,
  defaultAckWaitMs,
  defaultBackoffMs,
  defaultMaxDeliver,
} from './delivery.js';
export { isUuid, subjectMatches } from './subjects.js';
export { createNatsBus } from './nats/nats-bus.js';
export type { NatsBusOptions } from './nats/nats-bus.js';
export { createLocalBus } from './local/local-bus.js';
export type { LocalBusOptions } from './local/local-bus.js';
export { localBusMigrations } from './local/local-schema.js';
export { outboxMigrations } from './outbox/outbox-schema.js';
export type { OutboxTables } from './outbox/outbox-schema.js';
export { eventSubject, writeOutbox, writeOutboxMany } from './outbox/write-outbox.js';
export type { OutboxEvent } from './outbox/write-outbox.js';
export { createOutboxRelay } from './outbox/outbox-relay.js';
export type { OutboxRelay, OutboxRelayOptions } from './outbox/outbox-relay.js';
export { createInboxConsumer } from './inbox/inbox-consumer.js';
export type { InboxConsumerOptions } from './inbox/inbox-consumer.js';
export { DeadLetterNotFoundError, replayDeadLetter } from './inbox/replay.js';
export { decodeEvent, encodeEvent, writeEvent, writeEvents } from './events.js';
export type { EnvelopeInit } from './events.js';
export { createMemoryTopicLog } from './topic-log/memory-topic-log.js';
export { createNatsTopicLog } from './topic-log/nats-topic-log.js';
export type { NatsTopicLogOptions } from './topic-log/nats-topic-log.js';
export { DEFAULT_TOPIC_LIMITS } from './topic-log/types.js';
export type {
  AppendResult,
  TopicLog,
  TopicLogLimits,
  TopicRead,
  TopicRecord,
} from './topic-log/types.js';
