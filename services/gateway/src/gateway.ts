import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Revocation } from '@kith/authn';
import type { Bus, TopicLog } from '@kith/bus';
import type { RateLimiter } from '@kith/cache';
import { isRestricted } from '@kith/context';
import type { Principal } from '@kith/context';
import type { ServerFrame } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { ServiceContext, UpgradeHandler } from '@kith/runtime';
import type { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import { GatewayConnection } from './connection.js';
import type { ReplayLimits } from './control-frames.js';
import type { DeliveryReceipts } from './delivery-receipts.js';
import { FanOut } from './fan-out.js';
import { checkHandshake, credentialHeaders, rejectUpgrade } from './handshake.js';
import { gatewayMetrics } from './metrics.js';
import { encodingOf, MAX_FRAME_BYTES, selectSubprotocol } from './protocol.js';
import type { Recheck } from './routing/access-changes.js';
import { ownTopic } from './routing/topics.js';
import type { TopicAccess } from './topic-access.js';
import { TopicSubscriptions } from './topic-subscriptions.js';

export interface GatewayOptions {
  logger: ServiceContext['logger'];
  metrics: Registry;
  authenticate: (headers: Headers) => Promise<Principal | undefined>;
  clock: () => Date;
  /** Empty: any Origin is accepted (as for the RPC endpoints' CORS). */
  allowedOrigins: readonly string[];
  heartbeatMs: number;
  maxBufferedBytes: number;
  closeGraceMs: number;
  /** Open sockets one user may hold on this process; the next upgrade answers 429. */
  maxSocketsPerUser: number;
  /** Upgrade attempts per client address (checked before the token is verified). */
  upgradeLimiter: RateLimiter;
  /** The client's address behind trusted proxies (the rate-limit key). */
  clientAddress: (req: IncomingMessage) => string;
  /** Where stored frames arrive live, and go to other replicas (the bus's live subjects). */
  live: Pick<Bus, 'subscribeLive' | 'publishLive'>;
  /** The replay store every replica shares. */
  log: TopicLog;
  /** What it keeps, as Hello advertises it. */
  replay: ReplayLimits;
  access: TopicAccess;
  /**
   * Where sockets' Acks of incident alerts go (support's RecordDeliveries); absent, Acks are
   * ignored (a gateway without a support service: the fan-out benchmark, socket-level tests).
   */
  receipts?: Pick<DeliveryReceipts, 'record'>;
}

const IGNORE_RECEIPTS: Pick<DeliveryReceipts, 'record'> = { record: () => {} };

export interface Gateway {
  onUpgrade: UpgradeHandler;
  /** Closes (4401) every socket whose token the revocation kills; returns how many. */
  revoke(revocation: Revocation): number;
  /** Authorises again, on every socket here, the held topics `check` names. */
  recheck(check: Recheck): void;
  /**
   * Fans out a frame this process stored in the replay log under topic `key`: its own sockets
   * at once, the other replicas through the bus (FanOut.publish).
   */
  publish(key: string, data: Uint8Array, frame?: ServerFrame): void;
  /** Tells every client to reconnect elsewhere and closes its socket; refuses new upgrades. */
  close(): Promise<void>;
}

/**
 * The WebSocket endpoint `GET /ws`: authenticates before the upgrade completes, then keeps
 * each socket alive with heartbeats. Holds no state that outlives a connection.
 */
export function createGateway(options: GatewayOptions): Gateway {
  const { logger, authenticate } = options;
  const allowedOrigins = new Set(options.allowedOrigins);
  const connections = new Set<GatewayConnection>();
  const byUser = new Map<string, Set<GatewayConnection>>();
  let closing = false;

  const metrics = gatewayMetrics(options.metrics);
  const { sockets, rejected } = metrics;
  const fanOut = new FanOut(options.live, logger, options.metrics);
  const ownHeads = async (userId: string) => {
    const own = [ownTopic('user', userId), ownTopic('notifications', userId)];
    const heads = await Promise.all(own.map((topic) => options.log.head(topic.key)));
    return own.map((topic, i) => ({ topic: topic.name, seq: heads[i]! }));
  };

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    // We track connections ourselves (they carry heartbeat state).
    clientTracking: false,
    // Never echo the bearer.<jwt> entry: only a frame protocol we speak is selected.
    handleProtocols: (offered) => selectSubprotocol(offered) ?? false,
  });

  function refuse(socket: Duplex, status: number, reason: string): void {
    rejected.inc({ status: String(status) });
    logger.debug({ status, reason }, 'websocket upgrade refused');
    rejectUpgrade(socket, status);
  }

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // The socket may reset while the token is verified; ws adds its own listener later.
    const onEarlyError = (error: Error) => logger.debug({ err: error }, 'upgrade socket error');
    socket.on('error', onEarlyError);
    if (closing) return refuse(socket, 503, 'shutting down');

    const check = checkHandshake(req, allowedOrigins);
    if (!check.ok) return refuse(socket, check.status, check.reason);
    // Before verification: a flood of upgrades must not cost a signature check each.
    const limit = await options.upgradeLimiter.consume(options.clientAddress(req));
    if (!limit.allowed) return refuse(socket, 429, 'too many upgrades from this address');

    let principal: Principal | undefined;
    try {
      principal = await authenticate(credentialHeaders(req, check.token));
    } catch (error) {
      // The verifier failing (e.g. JWKS unreachable) is our problem, not a bad token.
      logger.warn({ err: error }, 'token verification failed');
      return refuse(socket, 503, 'token verification unavailable');
    }
    if (principal === undefined) return refuse(socket, 401, 'invalid access token');
    // API keys act only through the RPCs their scopes name; the socket is not one of them.
    if (principal.via !== 'access_token') return refuse(socket, 403, 'API keys cannot connect');
    // A suspended or banned account has no feed to follow: its session reaches a few RPCs only.
    if (isRestricted(principal)) return refuse(socket, 403, 'restricted sessions cannot connect');
    if (socket.destroyed) return;
    if (closing) return refuse(socket, 503, 'shutting down');
    // Checked and taken without an await in between (handleUpgrade calls back synchronously).
    if ((byUser.get(principal.userId)?.size ?? 0) >= options.maxSocketsPerUser) {
      return refuse(socket, 429, 'too many sockets for this user');
    }

    socket.off('error', onEarlyError);
    const authenticated = principal;
    const credentials = credentialHeaders(req, check.token);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = new GatewayConnection({
        socket: ws,
        principal: authenticated,
        credentials,
        authenticate,
        encoding: encodingOf(ws.protocol || undefined),
        heartbeatMs: options.heartbeatMs,
        maxBufferedBytes: options.maxBufferedBytes,
        closeGraceMs: options.closeGraceMs,
        clock: options.clock,
        logger,
        metrics,
        replay: options.replay,
        ownHeads: () => ownHeads(authenticated.userId),
        receipts: options.receipts ?? IGNORE_RECEIPTS,
        subscriptions: (senders) =>
          new TopicSubscriptions({
            userId: authenticated.userId,
            fanOut,
            log: options.log,
            access: options.access,
            metrics,
            ...senders,
          }),
      });
      connections.add(connection);
      const own = byUser.get(connection.userId) ?? new Set();
      own.add(connection);
      byUser.set(connection.userId, own);
      sockets.inc();
      void connection.closed.then(() => {
        connections.delete(connection);
        own.delete(connection);
        if (own.size === 0 && byUser.get(connection.userId) === own)
          byUser.delete(connection.userId);
        sockets.dec();
      });
      void connection.start();
    });
  }

  return {
    onUpgrade(req, socket, head) {
      upgrade(req, socket, head).catch((error: unknown) => {
        logger.error({ err: error }, 'websocket upgrade failed');
        refuse(socket, 500, 'internal error');
      });
    },
    revoke(revocation) {
      // A session id names no user, so those are looked for among every socket.
      const candidates =
        revocation.kind === 'user' ? (byUser.get(revocation.userId) ?? []) : connections;
      let closed = 0;
      for (const connection of [...candidates]) if (connection.revoke(revocation)) closed += 1;
      if (closed > 0) logger.info({ kind: revocation.kind, closed }, 'closed revoked sockets');
      return closed;
    },
    publish: (key, data, frame) => fanOut.publish(key, data, frame),
    recheck(check) {
      const holders = check.of === 'user' ? (byUser.get(check.userId) ?? []) : connections;
      for (const connection of holders) connection.recheckTopics(check);
    },
    async close() {
      closing = true;
      await Promise.all([...connections].map((connection) => connection.shutdown()));
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
