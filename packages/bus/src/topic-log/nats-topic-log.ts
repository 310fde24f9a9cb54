import { DeliverPolicy, JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { headers as natsHeaders, nanos } from '@nats-io/transport-node';
import { connectJetStream, ensureStream } from '../nats/nats-streams.js';
import { DEFAULT_TOPIC_LIMITS, assertTopic } from './types.js';
import type { AppendResult, TopicLog, TopicLogLimits, TopicRead, TopicRecord } from './types.js';

/** The record's number on its topic (the stream's own sequence counts every topic). */
const SEQ_HEADER = 'Kith-Topic-Seq';
/** Appends that lost a compare-and-set race retry this often before giving up. */
const MAX_APPEND_ATTEMPTS = 8;
/** Topics whose last position an appender remembers (saves a read per append). */
const MAX_KNOWN_HEADS = 10_000;
/** Longest a replay read waits for records that vanished (aged out) after the head was read. */
const READ_TIMEOUT_MS = 2_000;

export interface NatsTopicLogOptions extends TopicLogLimits {
  servers: string | string[];
  name: string;
  credentials?: { user: string; pass: string };
  /** Default `KITH_REALTIME`. */
  streamName?: string;
  /** Subject prefix: topic `t` is stored on `<prefix>.t`. Default `kith.realtime`. */
  subjectPrefix?: string;
}

interface Position {
  /** Stream sequence of the topic's last record (0: none), for the compare-and-set. */
  stream: number;
  seq: bigint;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function isCode(err: unknown, code: number): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}

/**
 * The topic log on a JetStream stream, one subject per topic, shared by every gateway replica.
 * The stream's per-subject and age limits bound each topic; `Nats-Msg-Id` dedups appends; the
 * next number is claimed with a compare-and-set on the subject's last stream sequence
 * (`Nats-Expected-Last-Subject-Sequence`), so racing appenders retry instead of colliding.
 */
export async function createNatsTopicLog(options: NatsTopicLogOptions): Promise<TopicLog> {
  const limits = { ...DEFAULT_TOPIC_LIMITS, ...options };
  const stream = options.streamName ?? 'KITH_REALTIME';
  const prefix = options.subjectPrefix ?? 'kith.realtime';
  const { nc, js, jsm } = await connectJetStream(options, (manager) =>
    ensureStream(manager, stream, [`${prefix}.>`], limits.dedupWindowMs, {
      max_msgs_per_subject: limits.maxRecords,
      max_age: nanos(limits.maxAgeMs),
    }),
  );
  // Map order is use order; the oldest entry goes when full.
  const known = new Map<string, Position>();
  const remember = (topic: string, position: Position) => {
    known.delete(topic);
    known.set(topic, position);
    if (known.size > MAX_KNOWN_HEADS) known.delete(known.keys().next().value!);
  };
  const subjectOf = (topic: string) => {
    assertTopic(topic);
    return `${prefix}.${topic}`;
  };

  async function lastPosition(subject: string): Promise<Position> {
    try {
      const last = await jsm.streams.getMessage(stream, { last_by_subj: subject });
      if (!last) return { stream: 0, seq: 0n };
      return { stream: last.seq, seq: BigInt(last.header.get(SEQ_HEADER) || '0') };
    } catch (err) {
      if (isCode(err, JetStreamApiCodes.NoMessageFound)) return { stream: 0, seq: 0n };
      throw err;
    }
  }

  // Appends to one topic from this process go one at a time: they would only race each other.
  const tails = new Map<string, Promise<unknown>>();
  function serialised<T>(topic: string, work: () => Promise<T>): Promise<T> {
    const run = (tails.get(topic) ?? Promise.resolve()).then(work, work);
    const tail = run.catch(() => undefined);
    tails.set(topic, tail);
    void tail.then(() => {
      if (tails.get(topic) === tail) tails.delete(topic);
    });
    return run;
  }

  async function appendNow(
    topic: string,
    key: string,
    build: (seq: bigint) => Uint8Array,
  ): Promise<AppendResult> {
    const subject = subjectOf(topic);
    for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt += 1) {
      const position = known.get(topic) ?? (await lastPosition(subject));
      const seq = position.seq + 1n;
      const data = build(seq);
      const h = natsHeaders();
      h.set(SEQ_HEADER, seq.toString());
      try {
        const ack = await js.publish(subject, data, {
          msgID: key,
          headers: h,
          expect: { lastSubjectSequence: position.stream },
        });
        // The broker checks the key before the position: a duplicate stored nothing.
        if (ack.duplicate) return { duplicate: true };
        remember(topic, { stream: ack.seq, seq });
        return { duplicate: false, seq, data };
      } catch (err) {
        known.delete(topic);
        // Another appender took the number (or our remembered position aged out): re-read.
        if (!isCode(err, JetStreamApiCodes.StreamWrongLastSequence)) throw err;
        // Another replica is appending to this topic too: step aside a random moment.
        await sleep(Math.random() * 5 * (attempt + 1));
      }
    }
    throw new Error(`topic ${topic}: append lost ${MAX_APPEND_ATTEMPTS} races in a row`);
  }

  return {
    append: (topic, key, build): Promise<AppendResult> =>
      serialised(topic, () => appendNow(topic, key, build)),

    async head(topic) {
      return (await lastPosition(subjectOf(topic))).seq;
    },

    async read(topic, after): Promise<TopicRead> {
      const subject = subjectOf(topic);
      const last = await lastPosition(subject);
      const head = last.seq;
      if (after >= head) return { head, records: [] };
      // An ordered (ephemeral, flow-controlled) consumer over the topic's subject only.
      const consumer = await js.consumers.get(stream, {
        filter_subjects: subject,
        deliver_policy: DeliverPolicy.All,
      });
      const records: TopicRecord[] = [];
      // Bounded by the per-topic limit; the expiry ends the read if records age out meanwhile.
      const messages = await consumer.fetch({
        max_messages: limits.maxRecords,
        expires: READ_TIMEOUT_MS,
      });
      try {
        for await (const m of messages) {
          const seq = BigInt(m.headers?.get(SEQ_HEADER) || '0');
          if (seq > after) records.push({ seq, data: m.data });
          // Stop at the head read above (later appends are live frames).
          if (seq >= head || m.seq >= last.stream) break;
        }
      } finally {
        await messages.close();
      }
      return { head, records };
    },

    async purge(topic) {
      known.delete(topic);
      await jsm.streams.purge(stream, { filter: subjectOf(topic) });
    },

    async close() {
      await nc.drain();
    },
  };
}
