// Per-topic bookkeeping of the client rules in realtime.proto ("Sequence numbers, replay and
// gaps"): keep the highest seq seen per topic, drop what is not above it, and refill a hole no
// Gap explains with one Resume. Pure: no socket, no timers, so every rule is unit-tested.

/** Most cursors one Resume may carry (Resume.cursors max_items). */
export const MAX_RESUME_CURSORS = 100;

export interface Cursor {
  topic: string;
  seq: bigint;
}

/** What to do with an event frame. */
export type EventVerdict =
  /** The next frame of the topic: hand it to the application. */
  | { kind: 'deliver' }
  /** Already seen (a replay overlapping live frames, or a redelivery): drop it. */
  | { kind: 'duplicate' }
  /** A topic the client does not (or no longer) want: drop it. */
  | { kind: 'unwanted' }
  /** A hole: send Resume{topic, from} and drop the frame (the replay brings it back in order). */
  | { kind: 'resume'; from: bigint }
  /** A hole already being refilled by a Resume: drop the frame, the replay brings it back. */
  | { kind: 'held' }
  /** A hole the Resume did not fill: deliver the frame, report from..to as missed. */
  | { kind: 'skip'; from: bigint; to: bigint };

interface TopicState {
  last: bigint;
  /** A Subscribed has granted the topic on some socket. */
  confirmed: boolean;
  /** A Resume was sent to refill the hole after `from`; `answered` once its reply came. */
  hole?: { from: bigint; answered: boolean };
}

export class TopicCursors {
  private readonly topics = new Map<string, TopicState>();

  /** Adds a topic (from seq 0, i.e. nothing seen); true if it was not wanted yet. */
  want(topic: string): boolean {
    if (this.topics.has(topic)) return false;
    this.topics.set(topic, { last: 0n, confirmed: false });
    return true;
  }

  forget(topic: string): void {
    this.topics.delete(topic);
  }

  has(topic: string): boolean {
    return this.topics.has(topic);
  }

  isConfirmed(topic: string): boolean {
    return this.topics.get(topic)?.confirmed ?? false;
  }

  lastSeq(topic: string): bigint | undefined {
    return this.topics.get(topic)?.last;
  }

  list(): string[] {
    return [...this.topics.keys()];
  }

  /** Every wanted topic's cursor (seq 0: nothing seen), for what a reconnect restores. */
  cursors(): Cursor[] {
    return [...this.topics].map(([topic, state]) => ({ topic, seq: state.last }));
  }

  /**
   * A Subscribed granted `topic` with its head. A Subscribe (liveOnly) replays nothing: live
   * frames continue after the head, so the head counts as seen, or the first live frame would
   * look like a hole. A Resume replays up to the head next (from 0: every frame still held), so
   * the cursor stays where it is.
   */
  confirm(topic: string, head: bigint, liveOnly: boolean): void {
    const state = this.topics.get(topic);
    if (state === undefined) return;
    state.confirmed = true;
    if (liveOnly && head > state.last) state.last = head;
  }

  /** Classifies an event frame and advances the cursor when it is delivered. */
  onEvent(topic: string, seq: bigint): EventVerdict {
    const state = this.topics.get(topic);
    if (state === undefined) return { kind: 'unwanted' };
    if (seq <= state.last) return { kind: 'duplicate' };
    if (seq === state.last + 1n) {
      state.last = seq;
      state.hole = undefined;
      return { kind: 'deliver' };
    }
    const { hole } = state;
    // Once per hole: a hole is known by the seq it starts after.
    if (hole === undefined || hole.from !== state.last) {
      state.hole = { from: state.last, answered: false };
      return { kind: 'resume', from: state.last };
    }
    if (!hole.answered) return { kind: 'held' };
    // The Resume was answered and its replay (which precedes live frames) still left the hole:
    // asking again would loop, so carry on and let the application refetch.
    const from = state.last + 1n;
    state.last = seq;
    state.hole = undefined;
    return { kind: 'skip', from, to: seq - 1n };
  }

  /** The reply to a hole's Resume came (Subscribed or Error). */
  holeAnswered(topic: string): void {
    const hole = this.topics.get(topic)?.hole;
    if (hole) hole.answered = true;
  }

  /**
   * A Gap: frames up to toSeq will not come, continue after it. A cursor ahead of the topic
   * (the replay store lost it and numbering restarted) moves back to toSeq; any other Gap only
   * moves the cursor forward.
   */
  onGap(topic: string, toSeq: bigint, cursorAhead: boolean): void {
    const state = this.topics.get(topic);
    if (state === undefined) return;
    if (cursorAhead || toSeq > state.last) {
      state.last = toSeq;
      state.hole = undefined;
    }
  }

  /** A new socket: the reconnect's Resume covers every hole, so none is pending any more. */
  resetHoles(): void {
    for (const state of this.topics.values()) state.hole = undefined;
  }
}

/** Splits cursors into Resume-sized chunks. */
export function chunkCursors(cursors: Cursor[], size = MAX_RESUME_CURSORS): Cursor[][] {
  const chunks: Cursor[][] = [];
  for (let i = 0; i < cursors.length; i += size) chunks.push(cursors.slice(i, i + size));
  return chunks;
}
