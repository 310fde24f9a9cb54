import { REVOCATION_LIVE_SUBJECT, decodeRevocation } from '@kith/authn';
import { DEFAULT_TOPIC_LIMITS } from '@kith/bus';
import type { Subscription } from '@kith/bus';
import { CircleInternalService } from '@kith/gen/kith/circle/v1/internal_pb.js';
import { PostInternalService } from '@kith/gen/kith/post/v1/internal_pb.js';
import { SupportInternalService } from '@kith/gen/kith/support/v1/internal_pb.js';
import { circleMemberships, defineService, internalClient } from '@kith/runtime';
import { watchAccess } from './access-watch.js';
import { loadGatewayConfig } from './config.js';
import { deliveryReceipts } from './delivery-receipts.js';
import { startFrameStore } from './frame-store.js';
import { createGateway } from './gateway.js';
import { postTopics } from './post-topics.js';
import { supportTopics } from './support-topics.js';
import { topicAccess } from './topic-access.js';

/** Longest a socket may take to finish its close handshake during shutdown. */
const MAX_CLOSE_GRACE_MS = 5_000;

/**
 * The realtime WebSocket gateway (`GET /ws`). It keeps nothing durable of its own, so it has
 * no migrations and no Connect services; it contributes an upgrade handler to the shared port,
 * and a daemon that turns bus events into numbered event frames in the shared replay store
 * (frame-store.ts). Frames are `kith.realtime.v1` messages, proto3 JSON in text messages by
 * default (see protocol.ts).
 *
 * Every replica listens to auth's revocation announcements (the live subject auth publishes
 * after each commit, and again from its durable consumer of `auth.session_revoked`,
 * `auth.tokens_invalidated` and `auth.account_disabled`'s cut) and closes the sockets they kill,
 * and to the events that may end a reader's access to a post (access-watch.ts), after which it
 * asks the post service again for the post topics they concern. Incident topics are asked of
 * the support service, which also hears of sockets' Acks of incident alerts
 * (delivery-receipts.ts).
 */
export const gatewayModule = defineService({
  name: 'gateway',
  services: [],
  async create(ctx) {
    const config = loadGatewayConfig(ctx.env);
    const log = await ctx.topicLog();
    const memberships = circleMemberships({
      bus: ctx.bus,
      circles: internalClient(ctx.bus, CircleInternalService),
      logger: ctx.logger,
    });
    // One client, so topic checks and receipts share support's circuit breaker.
    const support = internalClient(ctx.bus, SupportInternalService);
    const receipts = deliveryReceipts({
      support,
      clock: ctx.clock,
      logger: ctx.logger,
      metrics: ctx.metrics,
    });
    const gateway = createGateway({
      logger: ctx.logger,
      metrics: ctx.metrics,
      authenticate: (headers) => ctx.authenticate(headers),
      clock: ctx.clock,
      allowedOrigins: ctx.config.http.corsAllowedOrigins,
      heartbeatMs: config.heartbeatMs,
      maxBufferedBytes: config.maxBufferedBytes,
      maxSocketsPerUser: config.maxSocketsPerUser,
      upgradeLimiter: ctx.rateLimiter({
        keyPrefix: 'rl:ws-upgrade',
        points: config.upgradesPerMinute,
        durationSec: 60,
      }),
      clientAddress: (req) => ctx.clientAddress(req),
      // Leave part of the process's shutdown grace to the rest of the drain.
      closeGraceMs: Math.min(Math.floor(ctx.config.shutdownGraceMs / 2), MAX_CLOSE_GRACE_MS),
      live: ctx.bus,
      log,
      replay: { windowMs: DEFAULT_TOPIC_LIMITS.maxAgeMs, frames: DEFAULT_TOPIC_LIMITS.maxRecords },
      access: topicAccess(
        memberships,
        postTopics(internalClient(ctx.bus, PostInternalService)),
        supportTopics(support),
      ),
      receipts,
    });
    const accessWatch = watchAccess({
      bus: ctx.bus,
      recheck: (check) => gateway.recheck(check),
      logger: ctx.logger,
    });
    const revocations = ctx.bus.subscribeLive(REVOCATION_LIVE_SUBJECT, (msg) => {
      const revocation = decodeRevocation(msg.data);
      if (revocation) gateway.revoke(revocation);
    });
    let frameStore: Subscription | undefined;
    return {
      onUpgrade: gateway.onUpgrade,
      daemons: [
        {
          name: 'gateway:frame-store',
          async start() {
            frameStore = await startFrameStore({
              bus: ctx.bus,
              log,
              publish: gateway.publish,
              logger: ctx.logger,
              metrics: ctx.metrics,
              maxAgeMs: DEFAULT_TOPIC_LIMITS.maxAgeMs,
              clock: ctx.clock,
            });
          },
          async stop() {
            await frameStore?.stop();
          },
        },
      ],
      close: async () => {
        revocations.unsubscribe();
        accessWatch.stop();
        await gateway.close();
        // The receipts of the sockets just closed still go out.
        await receipts.flush();
        memberships.stop();
      },
    };
  },
});
