import type { TopicLog, TopicRecord } from '@kith/bus';
import {
  CircleChange,
  CircleMemberChange,
  ErrorCode,
  GapReason,
  PostChange,
  UnsubscribeReason,
} from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { ServerFrame, TopicCursor } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import { errorFrame, gapFrame, subscribedFrame, unsubscribedFrame } from './control-frames.js';
import { LiveFrame } from './fan-out.js';
import type { FanOut, TopicListener } from './fan-out.js';
import type { GatewayMetrics } from './metrics.js';
import type { Recheck } from './routing/access-changes.js';
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
  /**
   * Live frames held back while the head is read, missed frames are replayed or access is
   * checked again; set while `pauses` > 0.
   */
  pending?: LiveFrame[];
  /** How many of those steps are under way; live frames go out again when none is. */
  pauses: number;
}

/** A topic Subscribe or Resume named: held before (`fresh` false) or just granted (paused). */
interface Granted {
  held: Held;
  fresh: boolean;
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
 * each sent once and in seq order. Access is checked at Subscribe and Resume, again on every
 * live frame (from memory), and again on request (recheck) after events that may have ended
 * it; a frame that ends the user's access (they left or were removed, the circle or the post
 * was deleted) is the last one the topic sends them.
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
    if (!granted[0]) return;
    const { held, fresh } = granted[0];
    if (!fresh) {
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
      granted.map(async ({ held, fresh }) => {
        // A topic held live already: its live frames wait for the replay of its hole.
        if (!fresh) this.pause(held);
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

  /**
   * Authorises the held topics `check` names again (an event may have ended access to them):
   * their live frames wait for the answer; a topic no longer allowed, or whose owner could not
   * answer (failing closed), ends with Unsubscribed (ACCESS_LOST).
   */
  recheck(check: Recheck): void {
    if (check.of === 'topic') {
      const held = this.held.get(check.key);
      if (held) void this.reauthorise(held);
      return;
    }
    if (check.of === 'user' && check.userId !== this.deps.userId) return;
    for (const held of this.held.values()) {
      if (held.topic.kind === check.kind) void this.reauthorise(held);
    }
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
  private async grant(names: string[], requestId: number): Promise<Granted[]> {
    const { userId, access, control } = this.deps;
    const checks = await Promise.all(
      names.map(async (name) => {
        const topic = parseClientTopic(name, userId);
        if (!topic) return { name, verdict: 'invalid' as const };
        try {
          return { name, topic, verdict: await access.allows(topic, userId) };
        } catch {
          return { name, topic, verdict: 'unavailable' as const };
        }
      }),
    );
    const granted: Granted[] = [];
    for (const check of checks) {
      const refuse = (code: ErrorCode, message: string) =>
        control(errorFrame(code, message, requestId, check.name));
      if (this.closed) return [];
      if (check.verdict === 'invalid') refuse(ErrorCode.INVALID_FRAME, 'not a topic name');
      else if (check.verdict === 'unavailable')
        refuse(ErrorCode.UNAVAILABLE, 'topic access could not be checked; retry');
      else if (!check.verdict) refuse(ErrorCode.FORBIDDEN_TOPIC, 'no such topic');
      else {
        const existing = this.held.get(check.topic!.key);
        if (existing) granted.push({ held: existing, fresh: false });
        else if (this.held.size >= MAX_TOPICS)
          refuse(ErrorCode.TOO_MANY_TOPICS, `at most ${MAX_TOPICS} topics per socket`);
        else {
          const held: Held = { topic: check.topic!, last: 0n, pending: [], pauses: 1 };
          this.held.set(held.topic.key, held);
          this.deps.fanOut.add(held.topic.key, this);
          this.deps.metrics.subscriptions.inc();
          granted.push({ held, fresh: true });
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

  private async reauthorise(held: Held): Promise<void> {
    this.pause(held);
    let allowed: boolean;
    try {
      allowed = await this.deps.access.allows(held.topic, this.deps.userId);
    } catch {
      allowed = false;
    }
    if (this.held.get(held.topic.key) !== held) return;
    if (!allowed) this.lose(held);
    else this.release(held);
  }

  /** Holds the topic's live frames back until the matching release. */
  private pause(held: Held): void {
    held.pauses += 1;
    held.pending ??= [];
  }

  /** Live frames that waited for a head, a replay or an access check go out after the last. */
  private release(held: Held): void {
    held.pauses -= 1;
    if (held.pauses > 0) return;
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
  if (p.case === 'post') {
    // The post itself deleted; a circle topic's DELETED post ends nothing.
    return p.value.change === PostChange.DELETED && frame.topic === `post:${p.value.postId}`;
  }
  if (p.case === 'circleMember') {
    return (
      frame.topic.startsWith('circle:') &&
      p.value.userId === userId &&
      (p.value.change === CircleMemberChange.LEFT || p.value.change === CircleMemberChange.REMOVED)
    );
  }
  return false;
}
