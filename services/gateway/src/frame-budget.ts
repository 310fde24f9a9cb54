/**
 * What one socket may ask of the gateway: a token bucket over client frames, where a frame
 * costs what it makes the gateway do (a Resume one per cursor: each may read a topic's whole
 * replay log). A socket over budget gets ERROR_CODE_RATE_LIMITED and the frame is dropped; the
 * socket stays open.
 */
export class FrameBudget {
  private tokens: number;
  private at: number;

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = capacity;
    this.at = now();
  }

  /** Takes `cost` tokens if there are that many; false (and takes nothing) otherwise. */
  take(cost: number): boolean {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
    if (cost > this.tokens) return false;
    this.tokens -= cost;
    return true;
  }
}

/** Enough for a reconnect's Resume of 100 topics and then some; refilled at 20 a second. */
export const SOCKET_FRAME_BUDGET = { capacity: 200, perSecond: 20 } as const;
