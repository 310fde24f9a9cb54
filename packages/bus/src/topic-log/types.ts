/**
 * An append-only, bounded log per topic with dense sequence numbers: the realtime gateway's
 * replay store. Every replica appends to and reads from the same log, so a client may resume
 * on any of them.
 */
export interface TopicLog {
  /**
   * Appends a record under the topic's next sequence number (head + 1), once: `build(seq)`
   * makes the stored bytes (they may embed the number). Concurrent appenders to one topic never
   * share or skip a number. A `key` already appended to within the dedup window is not stored
   * again (`duplicate: true`).
   */
  append(topic: string, key: string, build: (seq: bigint) => Uint8Array): Promise<AppendResult>;
  /** The topic's last sequence number; 0 when it holds nothing. */
  head(topic: string): Promise<bigint>;
  /** The records after `after` up to the head, in order, as far back as they are still held. */
  read(topic: string, after: bigint): Promise<TopicRead>;
  /** Forgets every record of the topic (the user's data was erased); numbering restarts. */
  purge(topic: string): Promise<void>;
  close(): Promise<void>;
}

export type AppendResult =
  { duplicate: false; seq: bigint; data: Uint8Array } | { duplicate: true };

export interface TopicRecord {
  seq: bigint;
  data: Uint8Array;
}

export interface TopicRead {
  head: bigint;
  /**
   * The records with seq > after still held, oldest first. Numbers between `after` and the
   * first of them (or the head, when none is left) are no longer held.
   */
  records: TopicRecord[];
}

/** How much each topic keeps, and how long an append key is remembered. */
export interface TopicLogLimits {
  /** Records kept per topic (the oldest go first). Default 1,000. */
  maxRecords?: number;
  /** Age after which records are dropped. Default 24 h. */
  maxAgeMs?: number;
  /** How long a key's append is remembered for dedup. Default 2 minutes. */
  dedupWindowMs?: number;
}

export const DEFAULT_TOPIC_LIMITS = {
  maxRecords: 1_000,
  maxAgeMs: 24 * 3600_000,
  dedupWindowMs: 120_000,
} as const satisfies Required<TopicLogLimits>;

const TOPIC = /^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$/;

/** Topics are dot-separated lower-case tokens (`user.<uuid>`): also valid NATS subject tails. */
export function assertTopic(topic: string): void {
  if (!TOPIC.test(topic) || topic.length > 200) throw new Error(`invalid topic: ${topic}`);
}
