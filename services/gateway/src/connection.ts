import { randomUUID } from 'node:crypto';
import type { Principal } from '@kith/context';
import type { ServerFrame } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { ServiceContext } from '@kith/runtime';
import { WebSocket } from 'ws';
import type { RawData } from 'ws';
import {
  closeIntents,
  closingFrame,
  decodeClientFrame,
  encodeServerFrame,
  errorFrame,
  helloFrame,
  pingFrame,
} from './protocol.js';
import type { CloseIntent, FrameEncoding } from './protocol.js';

type Logger = ServiceContext['logger'];

export interface ConnectionOptions {
  socket: WebSocket;
  principal: Principal;
  encoding: FrameEncoding;
  heartbeatMs: number;
  /** Above this many unsent bytes the client counts as a slow consumer and is cut. */
  maxBufferedBytes: number;
  /** How long a close handshake may take before the socket is destroyed. */
  closeGraceMs: number;
  clock: () => Date;
  logger: Logger;
}

/** Pings a client may leave unanswered; the next tick closes the socket. */
const MISSED_PINGS_ALLOWED = 2;

/** One authenticated socket: hello, heartbeats, client frames and closing. */
export class GatewayConnection {
  readonly id = randomUUID();
  /** Settles once the socket is closed, whichever side closed it. */
  readonly closed: Promise<void>;
  private readonly options: ConnectionOptions;
  private readonly logger: Logger;
  private heartbeat: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private missedPings = 0;
  private pingNonce = 0n;
  private closing = false;

  constructor(options: ConnectionOptions) {
    this.options = options;
    this.logger = options.logger.child({ connectionId: this.id, userId: options.principal.userId });
    const { socket } = options;
    this.closed = new Promise((resolve) => {
      socket.once('close', (code: number) => {
        this.stopTimers();
        this.logger.debug({ code }, 'socket closed');
        resolve();
      });
    });
    // ws reports protocol violations (oversized or invalid UTF-8 messages) here, then closes.
    socket.on('error', (error) => this.logger.debug({ err: error }, 'socket error'));
    socket.on('pong', () => this.markAlive());
    socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
  }

  start(): void {
    const { principal, heartbeatMs } = this.options;
    this.send(
      helloFrame({
        connectionId: this.id,
        userId: principal.userId,
        sessionId: principal.sessionId ?? '',
        heartbeatMs,
        serverTime: this.options.clock(),
      }),
    );
    this.heartbeat = setInterval(() => this.tick(), heartbeatMs);
  }

  /** Closing frame with a reconnect hint, then close code 1001; resolves once closed. */
  shutdown(): Promise<void> {
    this.cut(closeIntents.shutdown);
    return this.closed;
  }

  private tick(): void {
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
    if (!decoded.ok) {
      this.send(errorFrame('invalid_frame', decoded.message, decoded.requestId));
      return;
    }
    const { frame } = decoded;
    switch (frame.frame.case) {
      case 'pong':
        this.markAlive();
        return;
      case 'subscribe':
      case 'unsubscribe':
      case 'ack':
      case 'resume':
        // Topic delivery, acknowledgements and replay come with the realtime issue; saying
        // so beats silently accepting a subscription that will never deliver.
        this.send(
          errorFrame(
            'unimplemented',
            `${frame.frame.case} is not supported yet by this gateway`,
            frame.requestId,
          ),
        );
        return;
      default:
        return;
    }
  }

  /** Sends unless the socket is closing or the client is not keeping up; false if not sent. */
  private send(frame: ServerFrame): boolean {
    const { socket, maxBufferedBytes, encoding } = this.options;
    if (this.closing || socket.readyState !== WebSocket.OPEN) return false;
    if (socket.bufferedAmount > maxBufferedBytes) {
      this.logger.info({ bufferedAmount: socket.bufferedAmount }, 'cutting slow consumer');
      this.cut(closeIntents.slowConsumer);
      return false;
    }
    socket.send(encodeServerFrame(frame, encoding));
    return true;
  }

  private cut(intent: CloseIntent): void {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.heartbeat);
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
    clearTimeout(this.killTimer);
  }
}
