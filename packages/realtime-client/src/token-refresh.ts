import { timestampMs } from '@bufbuild/protobuf/wkt';
import type { Timestamp } from '@bufbuild/protobuf/wkt';
import type {
  Authenticated,
  Error as ErrorFrame,
  Hello,
} from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { ClientFrameInit } from './codec.js';

export interface TokenRefreshIo {
  token: () => Promise<string> | string;
  /** Sends on the open socket; false when none is open. */
  send(frame: ClientFrameInit): boolean;
  nextRequestId(): number;
}

/** Share of the token's remaining life after which a fresh one is presented. */
const REFRESH_AT = 0.8;
/** A failed refresh is tried again halfway to the expiry... */
const RETRY_AT = 0.5;
/** ...unless less is left: then the expiry closes the socket (4401) and the reconnect asks
 * token() anyway. */
const MIN_RETRY_MS = 1_000;
/** setTimeout's ceiling (~24.8 days); a later refresh simply happens early. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Keeps one socket alive past its token (realtime.proto: Authenticate before
 * Hello.token_expires_at, or the socket closes with 4401). Expiries are server instants; they
 * are moved onto the local clock with the skew Hello.server_time reveals.
 */
export class TokenRefresh {
  private readonly io: TokenRefreshIo;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private skewMs = 0;
  /** The socket token's expiry on the local clock, if it has one. */
  private expiresAtMs: number | undefined;
  /** The Authenticate in flight, 0 if none. */
  private requestId = 0;
  /** Bumped by stop(): a token() that resolves after it belongs to a dead socket. */
  private generation = 0;

  constructor(io: TokenRefreshIo) {
    this.io = io;
  }

  onHello(hello: Hello): void {
    this.stop();
    // Positive when the server's clock is ahead of ours.
    this.skewMs = hello.serverTime ? timestampMs(hello.serverTime) - Date.now() : 0;
    this.arm(hello.tokenExpiresAt);
  }

  /** True when the frame answers this refresh's Authenticate. */
  onAuthenticated(frame: Authenticated): boolean {
    if (this.requestId === 0 || frame.requestId !== this.requestId) return false;
    this.requestId = 0;
    this.arm(frame.expiresAt);
    return true;
  }

  /** True when the Error refused this refresh's Authenticate (the socket keeps its token). */
  onError(frame: ErrorFrame): boolean {
    if (this.requestId === 0 || frame.requestId !== this.requestId) return false;
    this.requestId = 0;
    this.retry();
    return true;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.requestId = 0;
    this.generation += 1;
  }

  private arm(expiresAt: Timestamp | undefined): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.expiresAtMs = expiresAt === undefined ? undefined : timestampMs(expiresAt) - this.skewMs;
    this.schedule(REFRESH_AT);
  }

  private retry(): void {
    if (this.expiresAtMs === undefined || this.expiresAtMs - Date.now() < MIN_RETRY_MS) return;
    this.schedule(RETRY_AT);
  }

  private schedule(share: number): void {
    if (this.expiresAtMs === undefined) return;
    const left = Math.max(0, this.expiresAtMs - Date.now());
    this.timer = setTimeout(() => void this.refresh(), Math.min(left * share, MAX_TIMER_MS));
  }

  private async refresh(): Promise<void> {
    this.timer = undefined;
    const { generation } = this;
    let token: string;
    try {
      token = await this.io.token();
    } catch {
      // The embedder could not refresh now; try again while the token still lives.
      if (generation === this.generation) this.retry();
      return;
    }
    if (generation !== this.generation) return;
    const requestId = this.io.nextRequestId();
    const sent = this.io.send({
      requestId,
      frame: { case: 'authenticate', value: { accessToken: token } },
    });
    if (sent) this.requestId = requestId;
  }
}
