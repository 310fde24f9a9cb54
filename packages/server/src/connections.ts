import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { admitH2Session, h2ServerOptions } from './h2-limits.js';
import type { H2Limits } from './h2-limits.js';
import type { NodeRequest, NodeResponse } from './http-types.js';
import type { Logger } from 'pino';

/** The HTTP/2 client connection preface (RFC 9113 §3.4): its presence means h2c prior knowledge. */
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
/** A client that connects and says nothing is dropped after this long. */
const SNIFF_TIMEOUT_MS = 10_000;
/**
 * How long an idle HTTP/1.1 keep-alive connection stays open. Node's default (5 s) equals the
 * idle timeout of Node's own client pool, so a request written as the server closes fails with
 * ECONNRESET; load balancers idle out at 60 s (AWS ALB, nginx upstreams). Longer than both.
 */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

interface Tracked {
  kind: 'sniffing' | 'h1' | 'h2';
  /** HTTP/1.1 requests still being answered on this socket. */
  active: number;
}

/**
 * One TCP port, two protocols: the first bytes of each connection decide whether it goes to the
 * HTTP/1.1 server or the h2c server. Also tracks every socket, session and in-flight request so
 * that `drain()` can close gracefully and then force-close after the grace period.
 */
export class ConnectionHub {
  readonly tcp: net.Server;
  private readonly h1: http.Server;
  private readonly h2: http2.Http2Server;
  private readonly sockets = new Map<net.Socket, Tracked>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private inFlight = 0;
  private draining = false;
  private readonly waiters = new Set<() => void>();

  constructor(
    handler: (req: NodeRequest, res: NodeResponse) => void,
    private readonly logger: Logger,
    onUpgrade?: (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void,
    h2Limits: H2Limits = {},
  ) {
    const tracked = (req: NodeRequest, res: NodeResponse): void => {
      this.inFlight++;
      const socket = req.socket as net.Socket;
      const entry = this.sockets.get(socket);
      if (entry?.kind === 'h1') {
        entry.active++;
        // A request that arrives on a keep-alive socket during drain is served, then the socket closes.
        if (this.draining) res.setHeader('connection', 'close');
      }
      res.once('close', () => {
        this.inFlight--;
        if (entry?.kind === 'h1') {
          entry.active--;
          if (this.draining && entry.active === 0) socket.end();
        }
        this.notify();
      });
      handler(req, res);
    };
    this.h1 = http.createServer({ keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS }, tracked);
    this.h2 = http2.createServer(h2ServerOptions(h2Limits), tracked);
    if (onUpgrade) this.h1.on('upgrade', onUpgrade);
    this.h1.on('clientError', (err, socket) => {
      this.logger.debug({ err }, 'http/1.1 client error');
      socket.destroy();
    });
    this.h2.on('session', (session: http2.ServerHttp2Session) => {
      if (!admitH2Session(session, this.sessions.size, h2Limits, this.logger)) return;
      this.sessions.add(session);
      session.once('close', () => {
        this.sessions.delete(session);
        this.notify();
      });
      if (this.draining) session.close();
    });
    this.h2.on('sessionError', (err) => this.logger.debug({ err }, 'http/2 session error'));
    this.tcp = net.createServer((socket) => this.accept(socket));
    // node:http arms its headers/request timeouts (slowloris protection) on 'listening'; the
    // HTTP/1.1 server never listens itself, so relay the event from the real listener.
    this.tcp.on('listening', () => this.h1.emit('listening'));
  }

  private accept(socket: net.Socket): void {
    const entry: Tracked = { kind: 'sniffing', active: 0 };
    this.sockets.set(socket, entry);
    socket.on('error', (err) => this.logger.debug({ err }, 'socket error'));
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.notify();
    });
    if (this.draining) {
      socket.destroy();
      return;
    }
    socket.setTimeout(SNIFF_TIMEOUT_MS, () => socket.destroy());
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const n = Math.min(buffered.length, H2_PREFACE.length);
      const isPrefacePrefix = buffered.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (isPrefacePrefix && buffered.length < H2_PREFACE.length) return;
      socket.off('data', onData);
      socket.pause();
      socket.setTimeout(0);
      socket.unshift(buffered);
      if (isPrefacePrefix) {
        // Http2Session picks up bytes already buffered on the socket when it takes the handle.
        entry.kind = 'h2';
        this.h2.emit('connection', socket);
      } else {
        // The HTTP/1.1 parser reads through 'data' events; our pause() must be undone.
        entry.kind = 'h1';
        this.h1.emit('connection', socket);
        socket.resume();
      }
    };
    socket.on('data', onData);
  }

  private notify(): void {
    for (const wake of [...this.waiters]) wake();
  }

  private until(condition: () => boolean, deadline: number): Promise<boolean> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (!condition()) return;
        finish(true);
      };
      const finish = (ok: boolean): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(ok);
      };
      const timer = setTimeout(() => finish(condition()), Math.max(0, deadline - Date.now()));
      this.waiters.add(check);
      check();
    });
  }

  /**
   * Stops accepting connections, sends GOAWAY on every h2 session, closes idle HTTP/1.1 sockets
   * and resolves when no request is in flight (true) or at the deadline (false).
   */
  async beginDrain(deadline: number): Promise<boolean> {
    this.draining = true;
    this.tcp.close();
    // Stops the timeout checker; the error for "not listening" is expected and ignored.
    this.h1.close(() => undefined);
    for (const session of this.sessions) session.close();
    for (const [socket, entry] of this.sockets) {
      if (entry.kind === 'sniffing' || (entry.kind === 'h1' && entry.active === 0))
        socket.destroy();
    }
    return this.until(() => this.inFlight === 0, deadline);
  }

  /** Waits for remaining sockets to close until the deadline, then destroys what is left. */
  async finishDrain(deadline: number): Promise<void> {
    for (const session of this.sessions) session.close();
    const closed = await this.until(() => this.sockets.size === 0, deadline);
    if (!closed) {
      this.logger.warn({ sockets: this.sockets.size }, 'grace period over; destroying connections');
      for (const session of this.sessions) session.destroy();
      for (const socket of this.sockets.keys()) socket.destroy();
    }
  }

  get inFlightRequests(): number {
    return this.inFlight;
  }
}
