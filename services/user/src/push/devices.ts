import { randomUUID } from 'node:crypto';
import { InvalidArgumentError, NotFoundError, PermissionDeniedError } from '@kith/errors';
import { withTables } from '@kith/db';
import type { SignedInCaller } from '@kith/runtime';
import type { UserApp } from '../app.js';
import type { PushConfig } from './config.js';
import { webPushHostAllowed } from './adapters/web-push.js';
import { PLATFORM_APNS, PLATFORM_FCM, PLATFORM_WEB_PUSH } from './adapters/types.js';
import {
  deleteDevice,
  deleteDeviceOfUser,
  deleteDevicesBeyond,
  deviceByToken,
  devicesPage,
  insertDevice,
  refreshDevice,
} from './push-store.js';
import type { PushDeviceRow, PushStoreDb } from './push-store.js';

/** The token of a registration, as the request gives it (one of three). */
export type DeviceToken =
  | { platform: 'apns'; deviceToken: string; environment: number; appId: string }
  | { platform: 'fcm'; token: string }
  | { platform: 'web_push'; endpoint: string; p256dh: string; auth: string };

/** The session a caller's device binds to; API keys have none and cannot register devices. */
function sessionOf(caller: SignedInCaller): string {
  const { sessionId } = caller.principal;
  if (caller.principal.via !== 'access_token' || !sessionId) {
    throw new PermissionDeniedError('push devices need a signed-in session, not an API key');
  }
  return sessionId;
}

/** Refuses tokens this server cannot deliver to (field violations name the request field). */
function checkDeliverable(config: PushConfig, token: DeviceToken): void {
  if (token.platform === 'apns') {
    // With APNs configured only its bundle ids; embedded mode without APNs writes files.
    const allowed =
      config.apnsAppIds.includes(token.appId) ||
      (config.apns === undefined && config.mode === 'embedded');
    if (!allowed) {
      throw new InvalidArgumentError([
        { field: 'apns.app_id', message: 'is not an app this server sends push notifications to' },
      ]);
    }
  } else if (token.platform === 'fcm') {
    if (config.fcm === undefined && config.mode !== 'embedded') {
      throw new InvalidArgumentError([
        { field: 'fcm_token', message: 'FCM push is not configured on this server' },
      ]);
    }
  } else {
    if (config.vapid === undefined) {
      throw new InvalidArgumentError([
        { field: 'web_push', message: 'Web Push is not configured on this server' },
      ]);
    }
    if (!webPushHostAllowed(token.endpoint, config.webPushHosts)) {
      throw new InvalidArgumentError([
        { field: 'web_push.endpoint', message: 'is not on a known push service' },
      ]);
    }
  }
}

function columnsOf(token: DeviceToken) {
  switch (token.platform) {
    case 'apns':
      return {
        platform: PLATFORM_APNS,
        token: token.deviceToken.toLowerCase(),
        apns_environment: token.environment,
        app_id: token.appId,
        web_push_p256dh: null,
        web_push_auth: null,
      };
    case 'fcm':
      return {
        platform: PLATFORM_FCM,
        token: token.token,
        apns_environment: null,
        app_id: null,
        web_push_p256dh: null,
        web_push_auth: null,
      };
    case 'web_push':
      return {
        platform: PLATFORM_WEB_PUSH,
        token: token.endpoint,
        apns_environment: null,
        app_id: null,
        web_push_p256dh: token.p256dh,
        web_push_auth: token.auth,
      };
  }
}

function isUniqueViolation(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    if ((current as { code?: unknown }).code === '23505') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * RegisterPushDevice: the token registers once. The same user re-registering refreshes it
 * (the current session takes it over, last seen now); a token another account held moves to
 * the caller under a new id (the phone changed hands: the previous account's pushes stop).
 * The user keeps at most `maxDevicesPerUser`, the least recently seen going first.
 */
export async function registerPushDevice(
  app: UserApp,
  config: PushConfig,
  caller: SignedInCaller,
  input: { token: DeviceToken; deviceLabel: string },
): Promise<PushDeviceRow> {
  const sessionId = sessionOf(caller);
  checkDeliverable(config, input.token);
  const userId = caller.principal.userId;
  const columns = columnsOf(input.token);
  const attempt = () =>
    app.database.transaction(async (trx) => {
      const db = withTables<PushStoreDb>(trx);
      const existing = await deviceByToken(db, columns.platform, columns.token);
      let device: PushDeviceRow;
      if (existing && existing.user_id === userId) {
        device = await refreshDevice(db, existing.id, {
          session_id: sessionId,
          web_push_p256dh: columns.web_push_p256dh,
          web_push_auth: columns.web_push_auth,
          apns_environment: columns.apns_environment,
          app_id: columns.app_id,
          device_label: input.deviceLabel,
          last_seen_at: caller.now,
        });
      } else {
        if (existing) await deleteDevice(db, existing.id);
        device = {
          id: randomUUID(),
          user_id: userId,
          session_id: sessionId,
          ...columns,
          device_label: input.deviceLabel,
          created_at: caller.now,
          last_seen_at: caller.now,
        };
        await insertDevice(db, device);
      }
      await deleteDevicesBeyond(db, { userId, keep: config.maxDevicesPerUser });
      return device;
    });
  try {
    return await attempt();
  } catch (err) {
    // Two registrations of one new token at once: the loser finds the winner's row.
    if (!isUniqueViolation(err)) throw err;
    return attempt();
  }
}

/** UnregisterPushDevice: the caller's own device only; anyone else's is NotFound, like none. */
export async function unregisterPushDevice(
  app: UserApp,
  caller: SignedInCaller,
  input: { deviceId: string },
): Promise<void> {
  const removed = await app.database.transaction((trx) =>
    deleteDeviceOfUser(withTables<PushStoreDb>(trx), {
      userId: caller.principal.userId,
      deviceId: input.deviceId,
    }),
  );
  if (removed === 0) throw new NotFoundError('push device not found');
}

/** ListPushDevices: the caller's devices, most recently seen first. */
export function listPushDevices(
  app: UserApp,
  caller: SignedInCaller,
  input: { pageSize: number; pageToken: string },
) {
  return devicesPage(app.pageTokens, withTables<PushStoreDb>(app.database.db), {
    userId: caller.principal.userId,
    ...input,
  });
}
