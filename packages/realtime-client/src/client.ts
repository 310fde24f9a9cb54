import { durationMs } from '@bufbuild/protobuf/wkt';
import type { ServerFrame, Subscribed } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import { WebSocket as NodeWebSocket } from 'ws';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import type { BackoffSettings } from './backoff.js';
import { decodeServerFrame, encodeClientFrame, FRAME_SCHEMA_VERSION } from './codec.js';
import type { ClientFrameInit, Encoding } from './codec.js';
import { Delivery } from './delivery.js';
import { RealtimeError } from './errors.js';
import { openSocket } from './socket.js';
import { Subscriptions } from './subscriptions.js';
import { TokenRefresh } from './token-refresh.js';
import type {
  ClientState,
  RealtimeClient,
  RealtimeClientOptions,
  SocketLike,
  WebSocketConstructor,
} from './types.js';

/** WebSocket.OPEN, the same in `ws` and browsers. */
const OPEN = 1;
/** Refused at the upgrade: the token is bad, and asking again with it cannot help. */
const HTTP_UNAUTHORIZED = 401;

/** Connects at once and keeps a socket to the gateway until close(). */
export function createRealtimeClient(options: RealtimeClientOptions): RealtimeClient {
  const client = new Client(options);
  void client.connect();
  return client;
}

class Client implements RealtimeClient {
  state: ClientState = 'connecting';
  private readonly options: RealtimeClientOptions;
  private readonly encoding: Encoding;
  private readonly WebSocket: WebSocketConstructor;
  private readonly backoff: BackoffSettings;
  private readonly random: () => number;
  private readonly subscriptions: Subscriptions;
  private readonly refresh: TokenRefresh;
  private readonly delivery: Delivery;
  private socket: SocketLike | undefined;
  private socketClosed: Promise<void> = Promise.resolve();
  /** The socket has sent Hello: frames may go out (the protocol starts with Hello). */
  private ready = false;
  /** Timers that belong to the current socket (Resume retries), cleared when it closes. */
  private readonly socketTimers = new Set<ReturnType<typeof setTimeout>>();
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  /** Failed attempts since the last Hello. */
  private attempt = 0;
  /** Closing.reconnect_after of the socket being closed. */
  private reconnectAfterMs = 0;
  private stopped = false;
  private lastRequestId = 0;

  constructor(options: RealtimeClientOptions) {
    this.options = options;
    this.encoding = options.encoding ?? 'json';
    this.WebSocket = options.WebSocket ?? NodeWebSocket;
    this.backoff = {
      minDelayMs: options.minDelayMs ?? DEFAULT_BACKOFF.minDelayMs,
      maxDelayMs: options.maxDelayMs ?? DEFAULT_BACKOFF.maxDelayMs,
    };
    this.random = options.random ?? Math.random;
    const io = {
      send: (frame: ClientFrameInit) => this.send(frame),
      nextRequestId: () => this.nextRequestId(),
    };
    this.subscriptions = new Subscriptions({
      ...io,
      later: (run, ms) => this.later(run, ms),
      retryDelay: (attempt) => backoffDelay(attempt, this.backoff, this.random),
      onGap: options.onGap,
      onUnsubscribed: options.onUnsubscribed,
    });
    this.refresh = new TokenRefresh({ ...io, token: options.token });
    this.delivery = new Delivery(options);
  }

  get topics(): string[] {
    return this.subscriptions.cursors.list();
  }

  subscribe(topic: string): Promise<Subscribed> {
    if (this.stopped) return Promise.reject(RealtimeError.local('the client is stopped', topic));
    return this.subscriptions.subscribe(topic);
  }

  unsubscribe(topic: string): Promise<void> {
    return this.subscriptions.unsubscribe(topic);
  }

  async close(): Promise<void> {
    if (this.state !== 'closed') {
      this.stop(RealtimeError.local('the client was closed'));
      this.setState('closed');
    }
    this.socket?.close(1000);
    await this.socketClosed;
  }

  async connect(): Promise<void> {
    this.reconnectTimer = undefined;
    this.setState('connecting');
    let token: string;
    try {
      // Asked on every attempt: after a 4401 the embedder may have refreshed or signed in again.
      token = await this.options.token();
    } catch {
      if (!this.stopped) this.scheduleReconnect();
      return;
    }
    if (this.stopped) return;
    const { url } = this.options;
    try {
      const { socket, closed } = openSocket({
        WebSocket: this.WebSocket,
        url: typeof url === 'function' ? url() : url,
        token,
        encoding: this.encoding,
        tokenTransport: this.options.tokenTransport ?? 'header',
        onMessage: (data) => {
          if (this.socket === socket) this.onMessage(socket, data);
        },
        onClose: (refusedStatus) => this.onClose(socket, refusedStatus),
      });
      this.socket = socket;
      this.socketClosed = closed;
    } catch {
      // A URL or token the WebSocket cannot even send; a url() function may do better next time.
      this.scheduleReconnect();
    }
  }

  private onMessage(socket: SocketLike, data: unknown): void {
    let frame: ServerFrame;
    try {
      frame = decodeServerFrame(data);
    } catch {
      // Unreadable: if it was an event frame, the next one of its topic shows the hole.
      return;
    }
    // Another version is an incompatible change this client must not interpret.
    if (frame.v !== FRAME_SCHEMA_VERSION) return;
    const { payload } = frame;
    switch (payload.case) {
      case 'hello':
        // The connection works: the next loss starts the backoff afresh.
        this.attempt = 0;
        this.ready = true;
        this.refresh.onHello(payload.value);
        // Before onState/onHello, so a subscribe() from there is not also in this Resume.
        this.subscriptions.restore();
        this.setState('open');
        this.options.onHello?.(payload.value);
        return;
      case 'ping':
        this.send({ frame: { case: 'pong', value: { nonce: payload.value.nonce } } });
        return;
      case 'subscribed':
        this.subscriptions.onSubscribed(payload.value);
        return;
      case 'unsubscribed':
        this.subscriptions.onUnsubscribed(payload.value);
        return;
      case 'gap':
        this.subscriptions.onGap(payload.value, frame.topic);
        return;
      case 'authenticated':
        this.refresh.onAuthenticated(payload.value);
        return;
      case 'error':
        this.options.onError?.(payload.value);
        if (!this.refresh.onError(payload.value)) this.subscriptions.onError(payload.value);
        return;
      case 'closing': {
        const after = payload.value.reconnectAfter;
        this.reconnectAfterMs = after ? durationMs(after) : 0;
        return;
      }
      default:
        // Event frames, also of a payload case this client does not know (it still counts).
        if (frame.seq > 0n && frame.topic !== '' && this.subscriptions.onEvent(frame)) {
          // An Ack counts only on the socket the frame came on; another socket ignores it.
          this.delivery.push(frame, () => {
            if (this.socket !== socket) return;
            this.send({ frame: { case: 'ack', value: { topic: frame.topic, seq: frame.seq } } });
          });
        }
    }
  }

  private onClose(socket: SocketLike, refusedStatus: number | undefined): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    this.dropSocketState();
    if (this.stopped) return;
    if (refusedStatus === HTTP_UNAUTHORIZED) {
      this.stop(RealtimeError.local('the access token was refused'));
      this.setState('unauthorized');
      return;
    }
    // Everything else comes back, 4401 included (Closing.reconnect is false there, but the
    // next attempt asks token() again: a refreshed token gets in, a dead one ends in a 401).
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const delay = this.reconnectAfterMs + backoffDelay(this.attempt, this.backoff, this.random);
    this.attempt += 1;
    this.reconnectAfterMs = 0;
    this.setState('waiting');
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
  }

  private stop(reason: RealtimeError): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.dropSocketState();
    this.subscriptions.close(reason);
  }

  private dropSocketState(): void {
    this.ready = false;
    this.refresh.stop();
    for (const timer of this.socketTimers) clearTimeout(timer);
    this.socketTimers.clear();
    this.subscriptions.disconnected();
  }

  private later(run: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.socketTimers.delete(timer);
      run();
    }, ms);
    this.socketTimers.add(timer);
  }

  private send(frame: ClientFrameInit): boolean {
    const { socket } = this;
    if (!this.ready || socket === undefined || socket.readyState !== OPEN) return false;
    socket.send(encodeClientFrame(frame, this.encoding));
    return true;
  }

  /** Request ids are uint32 and never 0 (0 means "no request" in answers). */
  private nextRequestId(): number {
    this.lastRequestId = this.lastRequestId >= 0xffff_ffff ? 1 : this.lastRequestId + 1;
    return this.lastRequestId;
  }

  private setState(state: ClientState): void {
    this.state = state;
    this.options.onState?.(state);
  }
}
