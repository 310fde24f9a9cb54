import { create } from '@bufbuild/protobuf';
import { ErrorCode, GapReason, GapSchema } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type {
  Error as ErrorFrame,
  Gap,
  ServerFrame,
  Subscribed,
  Unsubscribed,
} from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { ClientFrameInit } from './codec.js';
import { chunkCursors, TopicCursors } from './cursors.js';
import type { Cursor } from './cursors.js';
import { RealtimeError } from './errors.js';

/** What Subscriptions needs from the connection it runs on. */
export interface SubscriptionsIo {
  /** Sends on the open socket; false (nothing sent) when no socket is open. */
  send(frame: ClientFrameInit): boolean;
  nextRequestId(): number;
  /** Runs `run` after `ms` unless the socket closes first. */
  later(run: () => void, ms: number): void;
  retryDelay(attempt: number): number;
  onGap?: (gap: Gap) => void;
  onUnsubscribed?: (unsubscribed: Unsubscribed) => void;
}

type Pending =
  /** liveOnly: the topic was new, so its head counts as seen once granted. */
  | { kind: 'subscribe'; topic: string; liveOnly: boolean }
  | { kind: 'unsubscribe'; topic: string; done: () => void; fail: (error: RealtimeError) => void }
  /** hole: sent to refill a hole on a live socket, not to restore topics after a connect. */
  | { kind: 'resume'; cursors: Cursor[]; hole: boolean; attempt: number };

interface Waiter {
  resolve: (subscribed: Subscribed) => void;
  reject: (error: RealtimeError) => void;
}

/** Error codes the proto says to retry with backoff; the socket stays open. */
const RETRYABLE = new Set<ErrorCode>([ErrorCode.UNAVAILABLE, ErrorCode.RATE_LIMITED]);

/**
 * The wanted topics and the requests about them. Topics outlive sockets: a subscribe() made
 * while no socket is open, or whose Subscribe was lost with a socket, is settled by the Subscribe
 * that follows the next Hello.
 */
export class Subscriptions {
  readonly cursors = new TopicCursors();
  private readonly pending = new Map<number, Pending>();
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly io: SubscriptionsIo;

  constructor(io: SubscriptionsIo) {
    this.io = io;
  }

  subscribe(topic: string): Promise<Subscribed> {
    const promise = new Promise<Subscribed>((resolve, reject) => {
      this.waiters.set(topic, [...(this.waiters.get(topic) ?? []), { resolve, reject }]);
    });
    const liveOnly = this.cursors.want(topic);
    this.request({ kind: 'subscribe', topic, liveOnly }, { case: 'subscribe', value: { topic } });
    return promise;
  }

  unsubscribe(topic: string): Promise<void> {
    this.cursors.forget(topic);
    this.settle(topic, (w) => w.reject(RealtimeError.local('unsubscribed', topic)));
    return new Promise((done, fail) => {
      const pending: Pending = { kind: 'unsubscribe', topic, done, fail };
      // No socket: the next one starts without the topic anyway.
      if (!this.request(pending, { case: 'unsubscribe', value: { topic } })) done();
    });
  }

  /**
   * After Hello: one Resume (per 100 topics) restores every topic granted before from its
   * cursor; a topic never granted yet is subscribed live (a Resume from 0 would replay its
   * whole history).
   */
  restore(): void {
    const cursors = this.cursors.cursors();
    for (const { topic } of cursors.filter((c) => !this.cursors.isConfirmed(c.topic))) {
      this.request(
        { kind: 'subscribe', topic, liveOnly: true },
        { case: 'subscribe', value: { topic } },
      );
    }
    const granted = cursors.filter((c) => this.cursors.isConfirmed(c.topic));
    for (const chunk of chunkCursors(granted)) this.resume(chunk, false, 0);
  }

  /** The socket is gone: its requests will never be answered. */
  disconnected(): void {
    for (const pending of this.pending.values()) if (pending.kind === 'unsubscribe') pending.done();
    this.pending.clear();
    this.cursors.resetHoles();
  }

  /** The client stops: every subscribe() still waiting rejects with `reason`. */
  close(reason: RealtimeError): void {
    this.disconnected();
    for (const topic of [...this.waiters.keys()]) this.settle(topic, (w) => w.reject(reason));
  }

  /** Whether to deliver an event frame; sends the Resume when it reveals a hole. */
  onEvent(frame: ServerFrame): boolean {
    const { topic } = frame;
    const verdict = this.cursors.onEvent(topic, frame.seq);
    switch (verdict.kind) {
      case 'deliver':
        return true;
      case 'resume':
        this.resume([{ topic, seq: verdict.from }], true, 0);
        return false;
      case 'skip':
        this.io.onGap?.(create(GapSchema, { topic, fromSeq: verdict.from, toSeq: verdict.to }));
        return true;
      default:
        return false;
    }
  }

  onGap(gap: Gap, frameTopic: string): void {
    const topic = gap.topic || frameTopic;
    this.io.onGap?.(gap);
    this.cursors.onGap(topic, gap.toSeq, gap.reason === GapReason.CURSOR_AHEAD);
  }

  onSubscribed(frame: Subscribed): void {
    const pending = this.take(frame.requestId);
    for (const { topic, seq } of frame.heads) {
      // Unsubscribed while the request was in flight: the later Unsubscribed wins.
      if (!this.cursors.has(topic)) continue;
      this.cursors.confirm(topic, seq, pending?.kind === 'subscribe' && pending.liveOnly);
      if (pending?.kind === 'resume' && pending.hole) this.cursors.holeAnswered(topic);
      this.settle(topic, (w) => w.resolve(frame));
    }
  }

  onUnsubscribed(frame: Unsubscribed): void {
    const pending = this.take(frame.requestId);
    if (pending?.kind === 'unsubscribe') {
      pending.done();
      return;
    }
    // Ended by the server (access lost): forget the topics so no Resume asks for them again.
    for (const topic of frame.topics) {
      this.cursors.forget(topic);
      this.settle(topic, (w) => w.reject(RealtimeError.local('access lost', topic)));
    }
    this.io.onUnsubscribed?.(frame);
  }

  onError(frame: ErrorFrame): void {
    const pending = this.pending.get(frame.requestId);
    if (pending === undefined) return;
    if (pending.kind === 'resume' && frame.topic !== '') {
      // One topic of a Resume refused (forbidden, too many); the others proceed and their
      // Subscribed still answers this request, so it stays pending.
      if (pending.hole) this.cursors.holeAnswered(frame.topic);
      this.refuse(frame.topic, frame, true);
      return;
    }
    this.pending.delete(frame.requestId);
    switch (pending.kind) {
      case 'subscribe':
        this.refuse(pending.topic, frame, false);
        return;
      case 'unsubscribe':
        pending.fail(RealtimeError.fromFrame(frame, pending.topic));
        return;
      case 'resume':
        if (RETRYABLE.has(frame.code)) {
          this.io.later(() => this.retry(pending), this.io.retryDelay(pending.attempt));
          return;
        }
        for (const { topic } of pending.cursors) {
          if (pending.hole) this.cursors.holeAnswered(topic);
          this.refuse(topic, frame, false);
        }
    }
  }

  private retry(pending: Pending & { kind: 'resume' }): void {
    // Only topics still wanted, from where they are now (frames may have come meanwhile).
    const cursors = pending.cursors
      .filter(({ topic }) => this.cursors.has(topic))
      .map(({ topic, seq }) => ({ topic, seq: this.cursors.lastSeq(topic) ?? seq }));
    if (cursors.length > 0) this.resume(cursors, pending.hole, pending.attempt + 1);
  }

  private resume(cursors: Cursor[], hole: boolean, attempt: number): void {
    this.request(
      { kind: 'resume', cursors, hole, attempt },
      { case: 'resume', value: { cursors } },
    );
  }

  /**
   * Rejects the topic's subscribe() calls. A topic never granted is forgotten (a Resume would
   * only be refused again); a granted one is kept unless `always` (access is gone).
   */
  private refuse(topic: string, frame: ErrorFrame, always: boolean): void {
    if (always || !this.cursors.isConfirmed(topic)) this.cursors.forget(topic);
    this.settle(topic, (w) => w.reject(RealtimeError.fromFrame(frame, topic)));
  }

  private request(pending: Pending, frame: ClientFrameInit['frame']): boolean {
    const requestId = this.io.nextRequestId();
    if (!this.io.send({ requestId, frame })) return false;
    this.pending.set(requestId, pending);
    return true;
  }

  private take(requestId: number): Pending | undefined {
    const pending = this.pending.get(requestId);
    this.pending.delete(requestId);
    return pending;
  }

  private settle(topic: string, how: (waiter: Waiter) => void): void {
    const waiters = this.waiters.get(topic);
    this.waiters.delete(topic);
    for (const waiter of waiters ?? []) how(waiter);
  }
}
