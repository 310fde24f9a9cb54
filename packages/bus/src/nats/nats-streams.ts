import {
  AckPolicy,
  jetstream,
  jetstreamManager,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { connect, nanos } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';

export function isStreamNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
}

function isNotFound(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamNotFound ||
      err.code === JetStreamApiCodes.ConsumerNotFound)
  );
}

/**
 * Creates the stream or brings an existing one to the wanted subjects and dedup window, so
 * start-up is idempotent and a racing replica's create is not an error.
 */
export async function ensureStream(
  jsm: JetStreamManager,
  name: string,
  subjects: string[],
  duplicateWindowMs: number,
  /** Further settings the stream must have (retention limits). */
  extra: Partial<StreamConfig> = {},
): Promise<void> {
  const wanted = { ...extra, subjects, duplicate_window: nanos(duplicateWindowMs) };
  try {
    await jsm.streams.info(name);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    try {
      await jsm.streams.add({ name, storage: StorageType.File, ...wanted });
      return;
    } catch (addErr) {
      // Another replica created it between our info and add: fall through to update.
      if (!(addErr instanceof JetStreamApiError)) throw addErr;
    }
  }
  await jsm.streams.update(name, wanted);
}

export interface ConsumerSpec {
  stream: string;
  durable: string;
  filterSubject: string;
  ackWaitMs: number;
}

/**
 * Durable pull consumer, created idempotently. No server-side max_deliver: the client decides
 * when to dead-letter (see handleDelivery), so a crash in the last attempt cannot strand a
 * message.
 */
export async function ensureConsumer(jsm: JetStreamManager, spec: ConsumerSpec): Promise<void> {
  const config = {
    durable_name: spec.durable,
    filter_subject: spec.filterSubject,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(spec.ackWaitMs),
    max_deliver: -1,
  };
  try {
    await jsm.consumers.add(spec.stream, config);
  } catch (err) {
    if (!(err instanceof JetStreamApiError)) throw err;
    // Exists with other settings (e.g. a new ackWait after a deploy): update what may change.
    await jsm.consumers.update(spec.stream, spec.durable, {
      ack_wait: config.ack_wait,
      max_deliver: config.max_deliver,
      filter_subject: config.filter_subject,
    });
  }
}

/**
 * Connects and runs `setup` (streams to ensure) before handing the connection out; a failed
 * setup closes it again, so a refused start leaves nothing open.
 */
export async function connectJetStream(
  options: {
    servers: string | string[];
    name: string;
    credentials?: { user: string; pass: string };
  },
  setup: (jsm: JetStreamManager) => Promise<void>,
): Promise<{ nc: NatsConnection; js: JetStreamClient; jsm: JetStreamManager }> {
  const nc = await connect({
    servers: options.servers,
    name: options.name,
    // Otherwise every request (each JetStream publish, ack confirmation and pull) builds two
    // Errors up front for their stack traces: 5–6 % of the gateway's and the user service's CPU
    // in an SOS fan-out. A timeout or failure is still an error, only without the caller's stack.
    noAsyncTraces: true,
    ...options.credentials,
  });
  try {
    const jsm = await jetstreamManager(nc);
    await setup(jsm);
    return { nc, js: jetstream(nc), jsm };
  } catch (err) {
    await nc.close();
    throw err;
  }
}
