import webpush from 'web-push';
import type { VapidKeys } from '../config.js';
import { PUSH_TTL_MS, pushData } from './types.js';
import type { PushAdapter, PushMessage, PushTarget, SendResult } from './types.js';

const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Web Push: the payload encrypted for the subscription (RFC 8291, aes128gcm) and signed for
 * the push service with our VAPID key (RFC 8292), both by the `web-push` package; we POST the
 * request ourselves (fetch, a timeout, no proxy) to the subscription's endpoint, which must be
 * on one of `allowedHosts` (the browsers' push services: the endpoint comes from the client).
 */
export function webPushAdapter(
  vapid: VapidKeys,
  allowedHosts: readonly string[],
  clock: () => Date,
): PushAdapter {
  return {
    async send(target: PushTarget, message: PushMessage): Promise<SendResult> {
      if (!target.webPush) return { kind: 'failed', reason: 'Web Push device without keys' };
      if (!webPushHostAllowed(target.token, allowedHosts)) {
        return {
          kind: 'rejected',
          reason: 'Web Push endpoint on a host that is not a push service',
        };
      }
      const ttlSeconds = Math.max(
        0,
        Math.floor((message.createdAt.getTime() + PUSH_TTL_MS - clock().getTime()) / 1000),
      );
      const details = webpush.generateRequestDetails(
        {
          endpoint: target.token,
          keys: { p256dh: target.webPush.p256dh, auth: target.webPush.auth },
        },
        JSON.stringify(webPushPayload(message)),
        {
          vapidDetails: vapid,
          TTL: ttlSeconds,
          urgency: message.critical || message.timeSensitive ? 'high' : 'normal',
          contentEncoding: 'aes128gcm',
        },
      );
      let response: Response;
      try {
        response = await fetch(details.endpoint, {
          method: details.method,
          headers: details.headers as Record<string, string>,
          body: details.body,
          redirect: 'error',
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
      } catch (err) {
        return { kind: 'retry', reason: `Web Push unreachable: ${(err as Error).message}` };
      }
      await response.body?.cancel();
      const reason = `Web Push ${response.status}`;
      if (response.ok) return { kind: 'ok' };
      if (response.status === 404 || response.status === 410) return { kind: 'rejected', reason };
      if (response.status === 429 || response.status >= 500) {
        const header = response.headers.get('retry-after');
        return {
          kind: 'retry',
          reason,
          afterMs: header && /^\d+$/.test(header.trim()) ? Number(header.trim()) * 1000 : undefined,
        };
      }
      return { kind: 'failed', reason };
    },
  };
}

/** What the service worker receives: the text to show and the ids to open and confirm. */
export function webPushPayload(message: PushMessage): Record<string, unknown> {
  return {
    title: message.title,
    body: message.body,
    critical: message.critical,
    time_sensitive: message.timeSensitive,
    data: pushData(message),
  };
}

/** The endpoint's host is one of `allowedHosts` or under one of them; `*` allows any. */
export function webPushHostAllowed(endpoint: string, allowedHosts: readonly string[]): boolean {
  if (allowedHosts.includes('*')) return true;
  let host: string;
  try {
    host = new URL(endpoint).hostname.toLowerCase();
  } catch {
    return false;
  }
  return allowedHosts.some((allowed) => host === allowed || host.endsWith(`.${allowed}`));
}
