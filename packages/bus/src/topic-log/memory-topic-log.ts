import { DEFAULT_TOPIC_LIMITS, assertTopic } from './types.js';
import type { AppendResult, TopicLog, TopicLogLimits, TopicRead, TopicRecord } from './types.js';

interface HeldTopic {
  head: bigint;
  records: (TopicRecord & { at: number })[];
  /** Append keys by when they were appended. */
  keys: Map<string, number>;
}

/**
 * The topic log in process memory, for the embedded mode's single process. Bounded like the
 * JetStream one (records per topic, age) plus a cap on topics: the least recently appended go
 * first, and a forgotten topic restarts its numbering, which a resuming client sees as a Gap.
 */
export function createMemoryTopicLog(
  options: TopicLogLimits & { maxTopics?: number; now?: () => number } = {},
): TopicLog {
  const limits = { ...DEFAULT_TOPIC_LIMITS, ...options };
  const maxTopics = options.maxTopics ?? 100_000;
  const now = options.now ?? Date.now;
  // Map order is append order: a topic appended to moves to the end, eviction takes the first.
  const topics = new Map<string, HeldTopic>();

  function trim(held: HeldTopic): void {
    const t = now();
    const oldest = t - limits.maxAgeMs;
    let drop = Math.max(0, held.records.length - limits.maxRecords);
    while (drop < held.records.length && held.records[drop]!.at < oldest) drop += 1;
    if (drop > 0) held.records.splice(0, drop);
    for (const [key, at] of held.keys) {
      if (at >= t - limits.dedupWindowMs) break; // insertion order is time order
      held.keys.delete(key);
    }
  }

  function held(topic: string): HeldTopic | undefined {
    const found = topics.get(topic);
    if (found) trim(found);
    return found;
  }

  return {
    async append(topic, key, build): Promise<AppendResult> {
      assertTopic(topic);
      let entry = held(topic);
      if (entry?.keys.has(key)) return { duplicate: true };
      if (!entry) {
        entry = { head: 0n, records: [], keys: new Map() };
        if (topics.size >= maxTopics) topics.delete(topics.keys().next().value!);
      }
      topics.delete(topic);
      topics.set(topic, entry);
      const seq = entry.head + 1n;
      const data = build(seq);
      const at = now();
      entry.head = seq;
      entry.records.push({ seq, data, at });
      entry.keys.set(key, at);
      trim(entry);
      return { duplicate: false, seq, data };
    },
    async head(topic) {
      assertTopic(topic);
      return held(topic)?.head ?? 0n;
    },
    async read(topic, after): Promise<TopicRead> {
      assertTopic(topic);
      const entry = held(topic);
      if (!entry) return { head: 0n, records: [] };
      const records = entry.records
        .filter((r) => r.seq > after)
        .map(({ seq, data }) => ({ seq, data }));
      return { head: entry.head, records };
    },
    async purge(topic) {
      assertTopic(topic);
      topics.delete(topic);
    },
    async close() {
      topics.clear();
    },
  };
}
