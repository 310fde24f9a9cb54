/** kith.user.v1.PushPlatform numbers, as stored. */
export const PLATFORM_APNS = 1;
export const PLATFORM_FCM = 2;
export const PLATFORM_WEB_PUSH = 3;

/** kith.user.v1.ApnsEnvironment numbers, as stored. */
export const APNS_SANDBOX = 1;
export const APNS_PRODUCTION = 2;

/** Where one push goes: the device as registered. */
export interface PushTarget {
  deviceId: string;
  platform: number;
  /** APNs device token, FCM registration token or Web Push endpoint. */
  token: string;
  webPush?: { p256dh: string; auth: string };
  apns?: { environment: number; appId: string };
}

/** What one push says; every payload carries its notification_id (ConfirmPushDelivery). */
export interface PushMessage {
  /** The delivery's id: the APNs apns-id, and the file name in embedded mode. */
  deliveryId: string;
  notificationId: string;
  /** kith.user.v1.NotificationType number. */
  type: number;
  title: string;
  body: string;
  /** Ids the app needs to open the right screen; never secrets. */
  data: Record<string, string>;
  /** SOS and the like: APNs `critical`, Android high priority. */
  critical: boolean;
  /** APNs `time-sensitive`, high priority. */
  timeSensitive: boolean;
  /** When the notification was made: pushes expire a day later. */
  createdAt: Date;
}

/**
 * A provider's answer: sent; the token is dead (the device is removed); try again (after the
 * provider's Retry-After when it gave one); or a failure no retry will fix (a dead letter now).
 */
export type SendResult =
  | { kind: 'ok' }
  | { kind: 'rejected'; reason: string }
  | { kind: 'retry'; reason: string; afterMs?: number }
  | { kind: 'failed'; reason: string };

/** One provider behind the worker. */
export interface PushAdapter {
  send(target: PushTarget, message: PushMessage): Promise<SendResult>;
  close?(): Promise<void>;
}

/** Pushes expire this long after the notification was made. */
export const PUSH_TTL_MS = 24 * 3600_000;

/** Seconds or an HTTP date (RFC 9110 Retry-After), as milliseconds from `now`. */
export function retryAfterMs(header: string | null | undefined, now: Date): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/** Everything the app reads from a push besides the text: the notification and its ids. */
export function pushData(message: PushMessage): Record<string, string> {
  return {
    ...message.data,
    notification_id: message.notificationId,
    type: String(message.type),
  };
}
