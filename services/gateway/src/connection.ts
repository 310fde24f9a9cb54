import { randomUUID } from 'node:crypto';
import type { Revocation } from '@kith/authn';
import { isRestricted } from '@kith/context';
import type { Principal } from '@kith/context';
import { ErrorCode } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { ServerFrame } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { ServiceContext } from '@kith/runtime';
import { WebSocket } from 'ws';
import type { RawData } from 'ws';
import {
  authenticatedFrame,
  closingFrame,
  errorFrame,
  helloFrame,
  pingFrame,
} from './control-frames.js';
import type { ReplayLimits } from './control-frames.js';
import type { DeliveryReceipts } from './delivery-receipts.js';
import type { LiveFrame } from './fan-out.js';
import { FrameBudget, SOCKET_FRAME_BUDGET } from './frame-budget.js';
import type { GatewayMetrics } from './metrics.js';
import { closeIntents, decodeClientFrame, encodeServerFrame } from './protocol.js';
import type { CloseIntent, FrameEncoding } from './protocol.js';
import type { Recheck } from './routing/access-changes.js';
import { SentAlerts } from './sent-alerts.js';
import { MAX_TOPICS } from './topic-subscriptions.js';
import type { TopicSubscriptions } from './topic-subscriptions.js';

type Logger = ServiceContext['logger'];

export interface ConnectionOptions {
  socket: WebSocket;
  principal: Principal;
  /** The upgrade's credential headers, checked again on every heartbeat (revocation backstop). */
  credentials: Headers;
  /** Verifies credentials and revocation; undefined when bad or revoked, throws when unsure. */
  authenticate: (headers: Headers) => Promise<Principal | undefined>;
  encoding: FrameEncoding;
  heartbeatMs: number;
  /** Above this many unsent bytes the client counts as a slow consumer and is cut. */
  maxBufferedBytes: number;
  /** How long a close handshake may take before the socket is destroyed. */
  closeGraceMs: number;
  clock: () => Date;
  logger: Logger;
  metrics: GatewayMetrics;
  replay: ReplayLimits;
  /** The heads of the user's own topics, for Hello; empty when they cannot be read. */
  ownHeads: () => Promise<{ topic: string; seq: bigint }[]>;
  /** This socket's topics, built with its senders. */
  subscriptions: (senders: Senders) => TopicSubscriptions;
  /** Where the Acks of incident alerts go (support's RecordDeliveries). */
  receipts: Pick<DeliveryReceipts, 'record'>;
}

/** How a socket's topics reach it: control frames, and stored event frames as they are. */
export interface Senders {
  control(frame: ServerFrame): void;
  event(frame: LiveFrame): void;
  paced(): true | Promise<boolean>;
}

/** Pings a client may leave unanswered; the next tick closes the socket. */
const MISSED_PINGS_ALLOWED = 2;
/** Longest a replay waits for a client to read what it was sent before sending on. */
const MAX_REPLAY_PAUSE_MS = 30_000;
/** setTimeout's ceiling (~24.8 days); a longer wait is re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * One authenticated socket: hello, heartbeats, client frames and closing. It lives no longer
 * than its access: a revocation naming its session or user closes it (4401), and so does its
 * token's expiry unless the client presents a fresh token in-band (Authenticate).
 */
export class GatewayConnection {
  readonly id = randomUUID();
  /** Settles once the socket is closed, whichever side closed it. */
  readonly closed: Promise<void>;
  private readonly options: ConnectionOptions;
  private readonly logger: Logger;
  private principal: Principal;
  private credentials: Headers;
  private heartbeat: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private missedPings = 0;
  private pingNonce = 0n;
  private closing = false;
  private readonly topics: TopicSubscriptions;
  private readonly alerts = new SentAlerts();
  private readonly budget = new FrameBudget(
    SOCKET_FRAME_BUDGET.capacity,
    SOCKET_FRAME_BUDGET.perSecond,
  );

  constructor(options: ConnectionOptions) {
    this.options = options;
    this.principal = options.principal;
    this.credentials = options.credentials;
    this.logger = options.logger.child({ connectionId: this.id, userId: options.principal.userId });
    this.topics = options.subscriptions({
      control: (frame) => this.send(frame),
      event: (frame) => this.sendEvent(frame),
      paced: () => this.paced(),
    });
    const { socket } = options;
    this.closed = new Promise((resolve) => {
      socket.once('close', (code: number) => {
        this.stopTimers();
        this.topics.close();
        this.logger.debug({ code }, 'socket closed');
        resolve();
      });
    });
    // ws reports protocol violations (oversized or invalid UTF-8 messages) here, then closes.
    socket.on('error', (error) => this.logger.debug({ err: error }, 'socket error'));
    socket.on('pong', () => this.markAlive());
    socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
  }

  get userId(): string {
    return this.principal.userId;
  }

  /** Hello first (with the heads of the user's own topics), then heartbeats. */
  async start(): Promise<void> {
    const { principal } = this;
    const { heartbeatMs } = this.options;
    // Client frames that arrive before Hello is sent wait for it.
    this.options.socket.pause();
    const lastSeqs = await this.options.ownHeads().catch(() => []);
    this.options.socket.resume();
    this.send(
      helloFrame({
        connectionId: this.id,
        userId: principal.userId,
        sessionId: principal.sessionId ?? '',
        heartbeatMs,
        serverTime: this.options.clock(),
        tokenExpiresAt: principal.expiresAt,
        maxTopics: MAX_TOPICS,
        replay: this.options.replay,
        lastSeqs,
      }),
    );
    // Closed while the heads were read: its close handler ran already, so no timers now.
    if (this.closing || this.options.socket.readyState !== WebSocket.OPEN) return;
    this.heartbeat = setInterval(() => this.tick(), heartbeatMs);
    this.armExpiry();
  }

  /** Closes the socket (4401) when the revocation covers its token; true when it did. */
  revoke(revocation: Revocation): boolean {
    if (!revokes(revocation, this.principal) || this.closing) return false;
    this.cut(closeIntents.tokenRevoked);
    return true;
  }

  /** Authorises the held topics `check` names again (see TopicSubscriptions.recheck). */
  recheckTopics(check: Recheck): void {
    if (!this.closing) this.topics.recheck(check);
  }

  /** Closing frame with a reconnect hint, then close code 1001; resolves once closed. */
  shutdown(): Promise<void> {
    this.cut(closeIntents.shutdown);
    return this.closed;
  }

  private armExpiry(): void {
    clearTimeout(this.expiryTimer);
    const { expiresAt } = this.principal;
    if (expiresAt === undefined) return;
    const left = expiresAt * 1000 - this.options.clock().getTime();
    this.expiryTimer = setTimeout(
      () => (left > MAX_TIMER_MS ? this.armExpiry() : this.cut(closeIntents.tokenExpired)),
      Math.max(0, Math.min(left, MAX_TIMER_MS)),
    );
  }

  /**
   * The live announcement of a revocation is fire-and-forget (a gateway reconnecting to the bus
   * can miss one); the shared revocation state is not, so every heartbeat looks at it again.
   */
  private async recheck(): Promise<void> {
    let still: Principal | undefined;
    try {
      still = await this.options.authenticate(this.credentials);
    } catch (error) {
      // Unsure is not revoked: the next heartbeat asks again.
      this.logger.debug({ err: error }, 'credentials could not be rechecked');
      return;
    }
    if (still === undefined) this.cut(closeIntents.tokenRevoked);
  }

  private async reauthenticate(token: string, requestId: number): Promise<void> {
    const headers = new Headers({ authorization: `Bearer ${token}` });
    let fresh: Principal | undefined;
    try {
      fresh = await this.options.authenticate(headers);
    } catch (error) {
      this.logger.warn({ err: error }, 'in-band token verification failed');
      this.send(errorFrame(ErrorCode.UNAVAILABLE, 'token verification unavailable', requestId));
      return;
    }
    // The socket stays bound to the user and session it was opened for.
    const { principal } = this;
    if (
      fresh === undefined ||
      fresh.via !== 'access_token' ||
      isRestricted(fresh) ||
      fresh.userId !== principal.userId ||
      fresh.sessionId !== principal.sessionId ||
      fresh.expiresAt === undefined
    ) {
      this.send(errorFrame(ErrorCode.INVALID_TOKEN, 'the token was not accepted', requestId));
      return;
    }
    if (this.closing) return;
    this.principal = fresh;
    this.credentials = headers;
    this.armExpiry();
    this.send(authenticatedFrame(requestId, fresh.expiresAt));
  }

  private tick(): void {
    void this.recheck();
    if (this.missedPings >= MISSED_PINGS_ALLOWED) {
      this.cut(closeIntents.heartbeatTimeout);
      return;
    }
    this.missedPings += 1;
    this.pingNonce += 1n;
    // Both levels: the frame for clients (browsers) that cannot see protocol pings, the
    // protocol ping for intermediaries and for clients that answer it automatically.
    if (this.send(pingFrame(this.pingNonce))) this.options.socket.ping();
  }

  private markAlive(): void {
    this.missedPings = 0;
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.closing) return;
    const decoded = decodeClientFrame(data, isBinary, this.options.encoding);
    // Malformed frames cost as much as any; a Resume one per cursor.
    const cost =
      decoded.ok && decoded.frame.frame.case === 'resume'
        ? decoded.frame.frame.value.cursors.length
        : 1;
    const requestId = decoded.ok ? decoded.frame.requestId : decoded.requestId;
    if (!this.budget.take(cost)) {
      this.send(errorFrame(ErrorCode.RATE_LIMITED, 'too many frames; slow down', requestId));
      return;
    }
    if (!decoded.ok) {
      this.send(errorFrame(ErrorCode.INVALID_FRAME, decoded.message, decoded.requestId));
      return;
    }
    const { frame } = decoded;
    switch (frame.frame.case) {
      case 'pong':
        this.markAlive();
        return;
      case 'authenticate':
        void this.reauthenticate(frame.frame.value.accessToken, frame.requestId);
        return;
      case 'subscribe':
        void this.topics.subscribe(frame.frame.value.topic, frame.requestId);
        return;
      case 'unsubscribe':
        this.topics.unsubscribe(frame.frame.value.topic, frame.requestId);
        return;
      case 'resume':
        void this.topics.resume(frame.frame.value.cursors, frame.requestId);
        return;
      case 'ack': {
        // A delivery receipt, answered by no frame; an Ack of anything but an incident alert
        // this socket was sent is ignored.
        const incidentId = this.alerts.acked(frame.frame.value.topic, frame.frame.value.seq);
        if (incidentId !== undefined) this.options.receipts.record(incidentId, this.userId);
        return;
      }
      default:
        return;
    }
  }

  /** Sends unless the socket is closing or the client is not keeping up; false if not sent. */
  private send(frame: ServerFrame): boolean {
    if (!this.writable()) return false;
    this.options.socket.send(encodeServerFrame(frame, this.options.encoding));
    return true;
  }

  /** A stored event frame, encoded once per encoding for every socket that gets it. */
  private sendEvent(frame: LiveFrame): void {
    if (!this.writable()) return;
    this.options.socket.send(frame.encoded(this.options.encoding));
    this.options.metrics.framesOut.count += 1;
    this.alerts.sent(frame.frame);
  }

  /** Low backlog now (true), or a wait until it is; false once the socket is closing. */
  private paced(): true | Promise<boolean> {
    const { socket, maxBufferedBytes } = this.options;
    if (socket.bufferedAmount <= maxBufferedBytes / 2) return true;
    return (async () => {
      // Past the wait, sending resumes and the slow-consumer bound decides.
      const until = Date.now() + MAX_REPLAY_PAUSE_MS;
      while (socket.bufferedAmount > maxBufferedBytes / 2 && Date.now() < until) {
        if (this.closing || socket.readyState !== WebSocket.OPEN) return false;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return !this.closing && socket.readyState === WebSocket.OPEN;
    })();
  }

  private writable(): boolean {
    const { socket, maxBufferedBytes } = this.options;
    if (this.closing || socket.readyState !== WebSocket.OPEN) return false;
    if (socket.bufferedAmount > maxBufferedBytes) {
      this.logger.info({ bufferedAmount: socket.bufferedAmount }, 'cutting slow consumer');
      this.options.metrics.slowConsumerCuts.inc();
      this.cut(closeIntents.slowConsumer);
      return false;
    }
    return true;
  }

  private cut(intent: CloseIntent): void {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.expiryTimer);
    const { socket, encoding, closeGraceMs } = this.options;
    // Already closing or closed (the client hung up first): nothing left to send.
    if (socket.readyState !== WebSocket.OPEN) return;
    if (intent !== closeIntents.shutdown) this.logger.info({ code: intent.code }, intent.message);
    socket.send(encodeServerFrame(closingFrame(intent), encoding));
    socket.close(intent.code, intent.message);
    // A peer that is gone (or not reading) never answers the close frame; don't wait on it.
    this.killTimer = setTimeout(() => socket.terminate(), closeGraceMs);
  }

  private stopTimers(): void {
    clearInterval(this.heartbeat);
    clearTimeout(this.expiryTimer);
    clearTimeout(this.killTimer);
  }
}

/** Whether a revocation kills the principal's token: its session, or the user's older tokens. */
function revokes(revocation: Revocation, principal: Principal): boolean {
  switch (revocation.kind) {
    case 'session':
      return principal.sessionId !== undefined && revocation.sessionId === principal.sessionId;
    case 'user':
      return revocation.userId === principal.userId && principal.issuedAt < revocation.validAfter;
    case 'api_key':
      return false;
  }
}
