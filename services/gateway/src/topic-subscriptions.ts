import type { TopicLog, TopicRecord } from '@kith/bus';
import {
  CircleChange,
  CircleMemberChange,
  ErrorCode,
  GapReason,
  UnsubscribeReason,
} from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { ServerFrame, TopicCursor } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import { errorFrame, gapFrame, subscribedFrame, unsubscribedFrame } from './control-frames.js';
import { LiveFrame } from './fan-out.js';
import type { FanOut, TopicListener } from './fan-out.js';
import type { GatewayMetrics } from './metrics.js';
import { parseClientTopic } from './routing/topics.js';
import type { Topic } from './routing/topics.js';
import type { TopicAccess } from './topic-access.js';

/** Most topics one socket may hold (Hello.max_topics). */
export const MAX_TOPICS = 100;

export interface SubscriptionDeps {
  userId: string;
  fanOut: FanOut;
  log: TopicLog;
  access: TopicAccess;
  metrics: GatewayMetrics;
  /** Sends a control frame on the socket. */
  control(frame: ServerFrame): void;
  /** Sends an event frame on the socket. */
  event(frame: LiveFrame): void;
  /**
   * true when the socket's send backlog is low; otherwise a promise of when it is (false: the
   * socket is closing). A replay paces itself by it instead of tripping the slow-consumer cut.
   */
  paced(): true | Promise<boolean>;
}

interface Held {
  topic: Topic;
  /** The highest seq this socket was sent (or told about) on the topic. */
  last: bigint;
  /** Live frames held back while the head is read or missed frames are replayed. */
  pending?: LiveFrame[];
}

/** What one cursor of a Resume found in the replay log. */
interface Replay {
  held: Held;
  after: bigint;
  head: bigint;
  records: TopicRecord[];
}

/**
 * One socket's topics: Subscribe, Resume and Unsubscribe, and the live frames of what it holds,
 * each sent once and in seq order. Access is checked at Subscribe and Resume and again on every
 * live frame; a frame that ends the user's access (they left or were removed, the circle was
 * deleted) is the last one the topic sends them.
 */
export class TopicSubscriptions implements TopicListener {
  // By replay-store key. An entry replaced or removed while an await was pending tells the
  // awaiting step it lost (an Unsubscribe overtook a Subscribe).
  private readonly held = new Map<string, Held>();
  private closed = false;

  constructor(private readonly deps: SubscriptionDeps) {}

  deliver(frame: LiveFrame): void {
    const held = this.held.get(frame.key);
    if (!held) return;
    if (held.pending) held.pending.push(frame);
    else this.forward(held, frame);
  }

  async subscribe(name: string, requestId: number): Promise<void> {
    const granted = await this.grant([name], requestId);
    const held = granted[0];
    if (!held) return;
    if (!held.pending) {
      // Already held: a no-op answered with where the socket is.
      this.deps.control(subscribedFrame(requestId, [{ topic: name, seq: held.last }]));
      return;
    }
    let head: bigint;
    try {
      head = await this.deps.log.head(held.topic.key);
    } catch {
      return this.unavailable(held, requestId);
    }
    if (this.held.get(held.topic.key) !== held) return;
    held.last = head;
    this.deps.control(subscribedFrame(requestId, [{ topic: name, seq: head }]));
    this.release(held);
  }

  async resume(cursors: TopicCursor[], requestId: number): Promise<void> {
    this.deps.metrics.resumes.inc();
    const after = new Map(cursors.map((c) => [c.topic, c.seq]));
    const granted = await this.grant([...after.keys()], requestId);
    const replays: Replay[] = [];
    await Promise.all(
      granted.map(async (held) => {
        // A topic held live already: replay its hole without pausing it twice.
        held.pending ??= [];
        const from = after.get(held.topic.name)!;
        try {
          const read = await this.deps.log.read(held.topic.key, from);
          replays.push({ held, after: from, head: read.head, records: read.records });
        } catch {
          this.unavailable(held, requestId);
        }
      }),
    );
    const live = replays.filter((r) => this.held.get(r.held.topic.key) === r.held);
    if (live.length === 0) return;
    // In the client's order, whatever order the reads finished in.
    const order = [...after.keys()];
    live.sort((a, b) => order.indexOf(a.held.topic.name) - order.indexOf(b.held.topic.name));
    const heads = live.map((r) => ({ topic: r.held.topic.name, seq: r.head }));
    this.deps.control(subscribedFrame(requestId, heads));
    for (const replay of live) await this.replay(replay);
  }

  unsubscribe(name: string, requestId: number): void {
    const topic = parseClientTopic(name, this.deps.userId);
    const held = topic && this.held.get(topic.key);
    if (held) this.drop(held);
    this.deps.control(unsubscribedFrame([name], requestId));
  }

  /** The socket closed: leave every topic. */
  close(): void {
    this.closed = true;
    for (const held of [...this.held.values()]) this.drop(held);
  }

  /**
   * Authorises the named topics and starts holding the new ones (pending: live frames wait
   * until the caller knows where to start). Refusals are answered here, one Error per topic.
   */
  private async grant(names: string[], requestId: number): Promise<Held[]> {
    const { userId, access, control } = this.deps;
    const checks = await Promise.all(
      names.map(async (name) => {
        const topic = parseClientTopic(name, userId);
        if (!topic) return { name, verdict: 'invalid' as const };
        try {
          const allowed = await access.allows(topic, userId);
          return { name, topic, verdict: allowed === undefined ? ('unserved' as const) : allowed };
        } catch {
          return { name, topic, verdict: 'unavailable' as const };
        }
      }),
    );
    const granted: Held[] = [];
    for (const check of checks) {
      const refuse = (code: ErrorCode, message: string) =>
        control(errorFrame(code, message, requestId, check.name));
      if (this.closed) return [];
      if (check.verdict === 'invalid') refuse(ErrorCode.INVALID_FRAME, 'not a topic name');
      else if (check.verdict === 'unserved')
        refuse(ErrorCode.UNIMPLEMENTED, 'this gateway does not serve that kind of topic yet');
      else if (check.verdict === 'unavailable')
        refuse(ErrorCode.UNAVAILABLE, 'topic access could not be checked; retry');
      else if (!check.verdict) refuse(ErrorCode.FORBIDDEN_TOPIC, 'no such topic');
      else {
        const existing = this.held.get(check.topic!.key);
        if (existing) granted.push(existing);
        else if (this.held.size >= MAX_TOPICS)
          refuse(ErrorCode.TOO_MANY_TOPICS, `at most ${MAX_TOPICS} topics per socket`);
        else {
          const held: Held = { topic: check.topic!, last: 0n, pending: [] };
          this.held.set(held.topic.key, held);
          this.deps.fanOut.add(held.topic.key, this);
          this.deps.metrics.subscriptions.inc();
          granted.push(held);
        }
      }
    }
    return granted;
  }

  /** Sends what a Resume cursor missed: a Gap for what is gone, then the held frames. */
  private async replay({ held, after, head, records }: Replay): Promise<void> {
    const { name } = held.topic;
    let frames = records.map((r) => new LiveFrame(held.topic.key, r.data));
    if (after > head) {
      // The log lost the topic and numbering restarted below the client's cursor.
      this.gap(name, head === 0n ? 0n : 1n, head, GapReason.CURSOR_AHEAD);
    } else {
      const firstHeld = frames[0]?.seq ?? head + 1n;
      if (firstHeld > after + 1n) {
        this.gap(name, after + 1n, firstHeld - 1n, GapReason.REPLAY_WINDOW_EXCEEDED);
      }
      const joined = this.lastJoin(held.topic, frames);
      if (joined > 0) {
        // Nothing from before the user's latest join in this circle.
        this.gap(name, frames[0]!.seq, frames[joined]!.seq - 1n, GapReason.NOT_VISIBLE);
        frames = frames.slice(joined);
      }
    }
    // Everything after the cursor, also frames a live socket refilling a hole was sent before
    // (the client drops those as duplicates); a new socket was sent nothing yet.
    const sentBefore = held.last;
    held.last = after > head ? head : after;
    for (const frame of frames) {
      const paced = this.deps.paced();
      if (paced !== true && !(await paced)) return;
      if (this.held.get(held.topic.key) !== held) return;
      this.forward(held, frame);
    }
    if (this.held.get(held.topic.key) !== held) return;
    held.last = [sentBefore, head, held.last].reduce((a, b) => (b > a ? b : a));
    this.release(held);
  }

  /** Index of the user's latest JOINED frame in a circle's frames; -1 when there is none. */
  private lastJoin(topic: Topic, frames: LiveFrame[]): number {
    if (topic.kind !== 'circle') return -1;
    for (let i = frames.length - 1; i >= 0; i -= 1) {
      const p = frames[i]!.frame.payload;
      if (
        p.case === 'circleMember' &&
        p.value.userId === this.deps.userId &&
        p.value.change === CircleMemberChange.JOINED
      )
        return i;
    }
    return -1;
  }

  private gap(topic: string, from: bigint, to: bigint, reason: GapReason): void {
    this.deps.metrics.gaps.inc({ reason: GapReason[reason] });
    this.deps.control(gapFrame(topic, from, to, reason));
  }

  /** Live frames that waited for a head or a replay go out now, after it. */
  private release(held: Held): void {
    const pending = held.pending ?? [];
    delete held.pending;
    for (const frame of pending) {
      if (this.held.get(held.topic.key) !== held) return;
      this.forward(held, frame);
    }
  }

  private forward(held: Held, frame: LiveFrame): void {
    if (frame.seq <= held.last) return; // sent already (replay and live overlap)
    const { userId } = this.deps;
    // The frame that announces the end of access is still theirs; anything after it is not.
    const last = endsAccess(frame.frame, userId);
    if (!last && !this.deps.access.stillAllows(held.topic, userId)) return this.lose(held);
    held.last = frame.seq;
    this.deps.event(frame);
    if (last) this.lose(held);
  }

  private lose(held: Held): void {
    this.drop(held);
    this.deps.control(unsubscribedFrame([held.topic.name], 0, UnsubscribeReason.ACCESS_LOST));
  }

  private unavailable(held: Held, requestId: number): void {
    if (this.held.get(held.topic.key) === held) this.drop(held);
    this.deps.control(
      errorFrame(
        ErrorCode.UNAVAILABLE,
        'replay store unavailable; retry',
        requestId,
        held.topic.name,
      ),
    );
  }

  private drop(held: Held): void {
    if (this.held.get(held.topic.key) !== held) return;
    this.held.delete(held.topic.key);
    this.deps.fanOut.remove(held.topic.key, this);
    this.deps.metrics.subscriptions.dec();
  }
}

/** Whether a frame is the last one its topic sends this user: their access ends with it. */
function endsAccess(frame: ServerFrame, userId: string): boolean {
  const p = frame.payload;
  if (p.case === 'circle') return p.value.change === CircleChange.DELETED;
  if (p.case === 'circleMember') {
    return (
      frame.topic.startsWith('circle:') &&
      p.value.userId === userId &&
      (p.value.change === CircleMemberChange.LEFT || p.value.change === CircleMemberChange.REMOVED)
    );
  }
  return false;
}
