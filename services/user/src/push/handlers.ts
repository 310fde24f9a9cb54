import type { ServiceImpl } from '@connectrpc/connect';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { NotificationService } from '@kith/gen/kith/user/v1/notification_pb.js';
import type { SupportInternalService } from '@kith/gen/kith/support/v1/internal_pb.js';
import { signedInCaller } from '@kith/runtime';
import type { InternalClient } from '@kith/runtime';
import type { UserApp } from '../app.js';
import type { PushConfig } from './config.js';
import { confirmPushDelivery } from './confirm-delivery.js';
import { listPushDevices, registerPushDevice, unregisterPushDevice } from './devices.js';
import type { DeviceToken } from './devices.js';
import type { PushDeviceRow } from './push-store.js';

type PushRpcs =
  | 'getPushConfig'
  | 'registerPushDevice'
  | 'unregisterPushDevice'
  | 'listPushDevices'
  | 'confirmPushDelivery';

function toPushDevice(row: PushDeviceRow) {
  return {
    pushDeviceId: row.id,
    platform: row.platform,
    deviceLabel: row.device_label,
    createdAt: timestampFromDate(row.created_at),
    lastSeenAt: timestampFromDate(row.last_seen_at),
    sessionId: row.session_id,
    apnsEnvironment: row.apns_environment ?? 0,
    appId: row.app_id ?? '',
  };
}

/** NotificationService's push RPCs: each reads the caller, calls one use case, maps the result. */
export function pushHandlers(
  app: UserApp,
  config: PushConfig,
  support: Pick<InternalClient<typeof SupportInternalService>, 'recordDeliveries'>,
): Pick<ServiceImpl<typeof NotificationService>, PushRpcs> {
  return {
    getPushConfig(_req, ctx) {
      signedInCaller(app, ctx);
      return { vapidPublicKey: config.vapid?.publicKey ?? '' };
    },

    async registerPushDevice(req, ctx) {
      const caller = signedInCaller(app, ctx);
      let token: DeviceToken;
      switch (req.token.case) {
        case 'apns':
          token = {
            platform: 'apns',
            deviceToken: req.token.value.deviceToken,
            environment: req.token.value.environment,
            appId: req.token.value.appId,
          };
          break;
        case 'fcmToken':
          token = { platform: 'fcm', token: req.token.value };
          break;
        case 'webPush':
          token = {
            platform: 'web_push',
            endpoint: req.token.value.endpoint,
            p256dh: req.token.value.p256dh,
            auth: req.token.value.auth,
          };
          break;
        default:
          // protovalidate requires one; kept for the type checker.
          throw new Error('RegisterPushDevice without a token');
      }
      const device = await registerPushDevice(app, config, caller, {
        token,
        deviceLabel: req.deviceLabel,
      });
      return { pushDevice: toPushDevice(device) };
    },

    async unregisterPushDevice(req, ctx) {
      const caller = signedInCaller(app, ctx);
      await unregisterPushDevice(app, caller, { deviceId: req.pushDeviceId });
      return {};
    },

    async listPushDevices(req, ctx) {
      const caller = signedInCaller(app, ctx);
      const page = await listPushDevices(app, caller, {
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      });
      return { pushDevices: page.items.map(toPushDevice), nextPageToken: page.nextPageToken };
    },

    async confirmPushDelivery(req, ctx) {
      const caller = signedInCaller(app, ctx);
      await confirmPushDelivery(app, support, caller, { notificationIds: req.notificationIds });
      return {};
    },
  };
}
