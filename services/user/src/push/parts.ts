import { SupportInternalService } from '@kith/gen/kith/support/v1/internal_pb.js';
import { internalClient } from '@kith/runtime';
import type { UserApp, UserAreaParts } from '../app.js';
import { apnsAdapter } from './adapters/apns.js';
import { fcmAdapter } from './adapters/fcm.js';
import { filePushAdapter } from './adapters/files.js';
import { PLATFORM_APNS, PLATFORM_FCM, PLATFORM_WEB_PUSH } from './adapters/types.js';
import type { PushAdapter } from './adapters/types.js';
import { webPushAdapter } from './adapters/web-push.js';
import { loadPushConfig } from './config.js';
import type { PushConfig } from './config.js';
import { pushDevicesFromAuthEvents } from './from-auth-events.js';
import { pushHandlers } from './handlers.js';
import { createPushWorker } from './worker.js';

/**
 * One adapter per platform: the configured provider, or in embedded mode (no provider for it)
 * JSON files under `<dataDir>/push/`. Distributed mode leaves an unconfigured platform out:
 * registration refuses it, and a delivery to it (configuration removed since) dead-letters.
 */
export function pushAdapters(
  app: UserApp,
  config: PushConfig,
): Partial<Record<number, PushAdapter>> {
  const files =
    config.mode === 'embedded' ? filePushAdapter(app.ctx.config.dataDir, app.clock) : undefined;
  const adapters: Partial<Record<number, PushAdapter>> = {};
  const apns = config.apns ? apnsAdapter(config.apns, app.clock) : files;
  const fcm = config.fcm ? fcmAdapter(config.fcm, app.clock) : files;
  // Embedded mode always has VAPID keys (derived, so browsers can subscribe), but reaches a
  // real push service only with keys the operator configured: the files stand in otherwise.
  const webPush =
    config.vapid && config.vapidConfigured
      ? webPushAdapter(config.vapid, config.webPushHosts, app.clock)
      : files;
  if (apns) adapters[PLATFORM_APNS] = apns;
  if (fcm) adapters[PLATFORM_FCM] = fcm;
  if (webPush) adapters[PLATFORM_WEB_PUSH] = webPush;
  return adapters;
}

/** The push area: device RPCs, devices dropped with their session, the delivery worker. */
export function pushParts(app: UserApp): UserAreaParts {
  const config = loadPushConfig(app.ctx.env, (purpose) => app.ctx.derivedSecret(purpose));
  const support = internalClient(app.bus, SupportInternalService, { timeoutMs: 1000 });
  const worker = createPushWorker(app, {
    maxAttempts: config.maxAttempts,
    retryBaseMs: config.retryBaseMs,
    retryMaxMs: config.retryMaxMs,
    pollMs: config.workerPollMs,
    adapters: pushAdapters(app, config),
  });
  return {
    notification: pushHandlers(app, config, support),
    consumers: [pushDevicesFromAuthEvents],
    daemons: config.workerEnabled ? [worker.daemon] : [],
    close: () => worker.close(),
  };
}
