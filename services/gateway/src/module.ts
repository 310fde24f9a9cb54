import { REVOCATION_LIVE_SUBJECT, decodeRevocation } from '@kith/authn';
import { defineService } from '@kith/runtime';
import { loadGatewayConfig } from './config.js';
import { createGateway } from './gateway.js';

/** Longest a socket may take to finish its close handshake during shutdown. */
const MAX_CLOSE_GRACE_MS = 5_000;

/**
 * The realtime WebSocket gateway (`GET /ws`). It keeps nothing durable, so it has no
 * migrations and no Connect services; it contributes an upgrade handler to the shared port.
 * Frames are `kith.realtime.v1` messages, proto3 JSON in text messages by default (see
 * protocol.ts). Topic subscriptions and replay come with the realtime issue.
 *
 * Every replica listens to auth's revocation announcements (the live subject auth publishes
 * after each commit, and again from its durable consumer of `auth.session_revoked`,
 * `auth.tokens_invalidated` and `auth.account_disabled`'s cut) and closes the sockets they kill.
 */
export const gatewayModule = defineService({
  name: 'gateway',
  services: [],
  create(ctx) {
    const config = loadGatewayConfig(ctx.env);
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
    });
    const revocations = ctx.bus.subscribeLive(REVOCATION_LIVE_SUBJECT, (msg) => {
      const revocation = decodeRevocation(msg.data);
      if (revocation) gateway.revoke(revocation);
    });
    return {
      onUpgrade: gateway.onUpgrade,
      close: async () => {
        revocations.unsubscribe();
        await gateway.close();
      },
    };
  },
});
