import { SignJWT, importPKCS8 } from 'jose';
import type { FcmConfig } from '../config.js';
import { PUSH_TTL_MS, pushData, retryAfterMs } from './types.js';
import type { PushAdapter, PushMessage, PushTarget, SendResult } from './types.js';

const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** An access token is used until 5 min before it expires, and never past 50 min. */
const TOKEN_MARGIN_MS = 5 * 60_000;
const TOKEN_MAX_AGE_MS = 50 * 60_000;
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * FCM HTTP v1: an OAuth2 access token from the service account (a JWT grant, RS256, to the
 * token endpoint), cached, then POST /v1/projects/{project}/messages:send per device.
 */
export function fcmAdapter(config: FcmConfig, clock: () => Date): PushAdapter {
  let cached: { token: string; usableUntil: number } | undefined;
  let keyPromise: ReturnType<typeof importPKCS8> | undefined;

  async function accessToken(): Promise<string> {
    const now = clock().getTime();
    if (cached && now < cached.usableUntil) return cached.token;
    keyPromise ??= importPKCS8(config.privateKey, 'RS256');
    const iat = Math.floor(now / 1000);
    const assertion = await new SignJWT({ scope: SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer(config.clientEmail)
      .setAudience(config.tokenUrl)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 3600)
      .sign(await keyPromise);
    const response = await fetch(config.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: GRANT_TYPE, assertion }).toString(),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`FCM token endpoint answered ${response.status}`);
    const body = (await response.json()) as { access_token?: unknown; expires_in?: unknown };
    if (typeof body.access_token !== 'string') throw new Error('FCM token endpoint: no token');
    const lifetimeMs = typeof body.expires_in === 'number' ? body.expires_in * 1000 : 3600_000;
    cached = {
      token: body.access_token,
      usableUntil: now + Math.min(lifetimeMs - TOKEN_MARGIN_MS, TOKEN_MAX_AGE_MS),
    };
    return cached.token;
  }

  const endpoint = `${config.url.replace(/\/+$/, '')}/v1/projects/${encodeURIComponent(config.projectId)}/messages:send`;

  return {
    async send(target: PushTarget, message: PushMessage): Promise<SendResult> {
      let response: Response;
      try {
        const token = await accessToken();
        response = await fetch(endpoint, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ message: fcmMessage(target, message, clock()) }),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
      } catch (err) {
        return { kind: 'retry', reason: `FCM unreachable: ${(err as Error).message}` };
      }
      if (response.ok) return { kind: 'ok' };
      const errorCode = await fcmErrorCode(response);
      const reason = `FCM ${response.status} ${errorCode}`.trim();
      if (response.status === 404 || errorCode === 'UNREGISTERED') {
        return { kind: 'rejected', reason };
      }
      if (response.status === 401) {
        cached = undefined;
        return { kind: 'retry', reason };
      }
      if (response.status === 429 || response.status >= 500) {
        return {
          kind: 'retry',
          reason,
          afterMs: retryAfterMs(response.headers.get('retry-after'), clock()),
        };
      }
      return { kind: 'failed', reason };
    },
  };
}

/** The v1 message: the visible notification, our ids as data, priority and expiry per platform. */
export function fcmMessage(
  target: PushTarget,
  message: PushMessage,
  now: Date,
): Record<string, unknown> {
  const urgent = message.critical || message.timeSensitive;
  const ttlSeconds = Math.max(
    0,
    Math.floor((message.createdAt.getTime() + PUSH_TTL_MS - now.getTime()) / 1000),
  );
  return {
    token: target.token,
    notification: { title: message.title, body: message.body },
    data: pushData(message),
    android: {
      priority: urgent ? 'high' : 'normal',
      ttl: `${Math.min(ttlSeconds, PUSH_TTL_MS / 1000)}s`,
      notification: { channel_id: message.critical ? 'sos' : 'default' },
    },
  };
}

/** google.rpc.Status details carry the FCM error code (UNREGISTERED, QUOTA_EXCEEDED, …). */
async function fcmErrorCode(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as {
      error?: { status?: string; details?: { '@type'?: string; errorCode?: string }[] };
    };
    const detail = body.error?.details?.find((d) => typeof d.errorCode === 'string');
    return detail?.errorCode ?? body.error?.status ?? '';
  } catch {
    return '';
  }
}
