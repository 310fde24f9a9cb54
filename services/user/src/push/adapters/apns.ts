import http2 from 'node:http2';
import { SignJWT, importPKCS8 } from 'jose';
import type { ApnsConfig } from '../config.js';
import { APNS_PRODUCTION, PUSH_TTL_MS, pushData, retryAfterMs } from './types.js';
import type { PushAdapter, PushMessage, PushTarget, SendResult } from './types.js';

/** Apple asks for a new provider token at most every 20 min and at least every 60 min. */
const TOKEN_MAX_AGE_MS = 50 * 60_000;
const REQUEST_TIMEOUT_MS = 10_000;

/** Reasons (the 400/403 body) that mean the device token is dead. */
const DEAD_TOKEN_REASONS = new Set(['BadDeviceToken', 'Unregistered', 'DeviceTokenNotForTopic']);
/** Reasons that mean our provider token is stale: a fresh one is signed for the retry. */
const STALE_PROVIDER_TOKEN = new Set(['ExpiredProviderToken', 'InvalidProviderToken']);

/**
 * APNs over HTTP/2 with token-based auth: an ES256 JWT (kid = key id, iss = team id) signed
 * with the .p8 key, cached ≤ 50 min; one HTTP/2 session per gateway, reused for every push.
 */
export function apnsAdapter(config: ApnsConfig, clock: () => Date): PushAdapter {
  let cached: { token: string; issuedAt: number } | undefined;
  let keyPromise: ReturnType<typeof importPKCS8> | undefined;
  const sessions = new Map<string, http2.ClientHttp2Session>();

  async function providerToken(): Promise<string> {
    const now = clock().getTime();
    if (cached && now - cached.issuedAt < TOKEN_MAX_AGE_MS) return cached.token;
    keyPromise ??= importPKCS8(config.key, 'ES256');
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: config.keyId })
      .setIssuer(config.teamId)
      .setIssuedAt(Math.floor(now / 1000))
      .sign(await keyPromise);
    cached = { token, issuedAt: now };
    return token;
  }

  function sessionFor(origin: string): http2.ClientHttp2Session {
    const open = sessions.get(origin);
    if (open && !open.closed && !open.destroyed) return open;
    const session = http2.connect(origin);
    session.on('error', () => sessions.delete(origin));
    session.on('goaway', () => sessions.delete(origin));
    session.on('close', () => sessions.delete(origin));
    session.unref();
    sessions.set(origin, session);
    return session;
  }

  function request(
    origin: string,
    headers: http2.OutgoingHttpHeaders,
    body: string,
  ): Promise<{ status: number; headers: http2.IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      const session = sessionFor(origin);
      const stream = session.request(headers);
      stream.setTimeout(REQUEST_TIMEOUT_MS, () => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        reject(new Error('APNs request timed out'));
      });
      let responseHeaders: http2.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      stream.on('response', (h) => {
        responseHeaders = h;
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () =>
        resolve({
          status: Number(responseHeaders[':status'] ?? 0),
          headers: responseHeaders,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      stream.on('error', reject);
      stream.end(body);
    });
  }

  return {
    async send(target: PushTarget, message: PushMessage): Promise<SendResult> {
      if (!target.apns) return { kind: 'failed', reason: 'APNs device without environment' };
      const origin =
        target.apns.environment === APNS_PRODUCTION ? config.productionUrl : config.sandboxUrl;
      const expiration = Math.floor((message.createdAt.getTime() + PUSH_TTL_MS) / 1000);
      const headers: http2.OutgoingHttpHeaders = {
        ':method': 'POST',
        ':path': `/3/device/${target.token}`,
        authorization: `bearer ${await providerToken()}`,
        'apns-topic': target.apns.appId,
        'apns-push-type': 'alert',
        'apns-priority': '10',
        'apns-expiration': String(expiration),
        'apns-id': message.deliveryId,
        'content-type': 'application/json',
      };
      let response;
      try {
        response = await request(
          new URL(origin).origin,
          headers,
          JSON.stringify(apnsPayload(message)),
        );
      } catch (err) {
        return { kind: 'retry', reason: `APNs unreachable: ${(err as Error).message}` };
      }
      const { status } = response;
      if (status === 200) return { kind: 'ok' };
      const reason = parseReason(response.body);
      if (status === 410 || DEAD_TOKEN_REASONS.has(reason)) {
        return { kind: 'rejected', reason: `APNs ${status} ${reason}` };
      }
      if (status === 403 && STALE_PROVIDER_TOKEN.has(reason)) {
        cached = undefined;
        return { kind: 'retry', reason: `APNs 403 ${reason}` };
      }
      if (status === 429 || status >= 500) {
        const retryAfter = response.headers['retry-after'];
        return {
          kind: 'retry',
          reason: `APNs ${status} ${reason}`,
          afterMs: retryAfterMs(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, clock()),
        };
      }
      return { kind: 'failed', reason: `APNs ${status} ${reason}` };
    },
    async close() {
      for (const session of sessions.values()) session.close();
      sessions.clear();
    },
  };
}

function parseReason(body: string): string {
  try {
    const parsed = JSON.parse(body) as { reason?: unknown };
    return typeof parsed.reason === 'string' ? parsed.reason : '';
  } catch {
    return '';
  }
}

/**
 * The aps dictionary: an alert, the interruption level (critical for SOS-like pushes, which
 * also plays the critical-alert sound; time-sensitive breaks through Focus), and our ids.
 */
export function apnsPayload(message: PushMessage): Record<string, unknown> {
  const level = message.critical ? 'critical' : message.timeSensitive ? 'time-sensitive' : 'active';
  return {
    ...pushData(message),
    aps: {
      alert: { title: message.title, body: message.body },
      sound: message.critical ? { critical: 1, name: 'default', volume: 1 } : 'default',
      'interruption-level': level,
      'mutable-content': 1,
    },
  };
}
