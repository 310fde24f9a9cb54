import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { importJWK, importSPKI, jwtVerify, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, test } from 'vitest';
import { manualClock } from '@kith/testkit';
import { apnsAdapter } from './adapters/apns.js';
import { fcmAdapter } from './adapters/fcm.js';
import { filePushAdapter } from './adapters/files.js';
import {
  APNS_PRODUCTION,
  APNS_SANDBOX,
  PLATFORM_APNS,
  PLATFORM_FCM,
  PLATFORM_WEB_PUSH,
} from './adapters/types.js';
import type { PushMessage } from './adapters/types.js';
import { webPushAdapter } from './adapters/web-push.js';
import { vapidKeysFromSeed } from './config.js';
import { startHttp2Server, startHttpServer } from './testing/protocol-servers.js';
import type { ProtocolServer } from './testing/protocol-servers.js';
import { decryptAes128gcm, subscriptionKeys } from './testing/rfc8291.js';

const clock = manualClock(new Date('2026-12-03T16:00:00.000Z'));
const now = () => clock.now();

function message(overrides: Partial<PushMessage> = {}): PushMessage {
  return {
    deliveryId: crypto.randomUUID(),
    notificationId: crypto.randomUUID(),
    type: 1,
    title: 'Ana followed you',
    body: '@ana is now following you',
    data: { user_id: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b' },
    critical: false,
    timeSensitive: false,
    createdAt: clock.now(),
    ...overrides,
  };
}

describe('APNs over HTTP/2 with a JWT provider token', () => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const deviceToken = 'ab'.repeat(32);
  let production: ProtocolServer;
  let sandbox: ProtocolServer;
  let adapter: ReturnType<typeof apnsAdapter>;

  beforeAll(async () => {
    production = await startHttp2Server();
    sandbox = await startHttp2Server();
    adapter = apnsAdapter(
      {
        key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        keyId: 'KEY1234567',
        teamId: 'TEAM123456',
        productionUrl: production.url,
        sandboxUrl: sandbox.url,
      },
      now,
    );
  });
  afterAll(async () => {
    await adapter.close?.();
    await production.close();
    await sandbox.close();
  });
  beforeEach(() => {
    for (const server of [production, sandbox]) {
      server.requests.length = 0;
      server.answers.length = 0;
    }
  });

  const target = (environment = APNS_PRODUCTION) => ({
    deviceId: crypto.randomUUID(),
    platform: PLATFORM_APNS,
    token: deviceToken,
    apns: { environment, appId: 'app.kith.ios' },
  });

  test('an SOS is posted to the device path with the APNs headers, a critical alert and a token signed by the key', async () => {
    const sos = message({ type: 14, critical: true, timeSensitive: true, title: 'SOS from Ana' });
    assert.deepEqual(await adapter.send(target(), sos), { kind: 'ok' });
    assert.equal(production.requests.length, 1);
    assert.equal(sandbox.requests.length, 0);
    const req = production.requests[0]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, `/3/device/${deviceToken}`);
    assert.equal(req.headers['apns-topic'], 'app.kith.ios');
    assert.equal(req.headers['apns-push-type'], 'alert');
    assert.equal(req.headers['apns-priority'], '10');
    assert.equal(
      req.headers['apns-expiration'],
      String(Math.floor((sos.createdAt.getTime() + 24 * 3600_000) / 1000)),
    );
    assert.equal(req.headers['apns-id'], sos.deliveryId);
    const [scheme, jwt] = req.headers['authorization']!.split(' ');
    assert.equal(scheme, 'bearer');
    assert.deepEqual(decodeProtectedHeader(jwt!), { alg: 'ES256', kid: 'KEY1234567' });
    const spki = await importSPKI(
      publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      'ES256',
    );
    const { payload } = await jwtVerify(jwt!, spki, { issuer: 'TEAM123456', currentDate: now() });
    assert.equal(payload.iat, Math.floor(now().getTime() / 1000));
    const body = JSON.parse(req.body.toString()) as Record<string, unknown>;
    assert.deepEqual(body['aps'], {
      alert: { title: 'SOS from Ana', body: sos.body },
      sound: { critical: 1, name: 'default', volume: 1 },
      'interruption-level': 'critical',
      'mutable-content': 1,
    });
    assert.equal(body['notification_id'], sos.notificationId);
    assert.equal(body['type'], '14');
    assert.equal(body['user_id'], sos.data['user_id']);
  });

  test('a sandbox device goes to the sandbox gateway; time-sensitive pushes say so', async () => {
    await adapter.send(target(APNS_SANDBOX), message({ timeSensitive: true }));
    assert.equal(production.requests.length, 0);
    const body = JSON.parse(sandbox.requests[0]!.body.toString()) as {
      aps: Record<string, unknown>;
    };
    assert.equal(body.aps['interruption-level'], 'time-sensitive');
    assert.equal(body.aps['sound'], 'default');
  });

  test('the provider token is reused for 50 minutes, then signed again', async () => {
    await adapter.send(target(), message());
    await adapter.send(target(), message());
    clock.advance(50 * 60_000);
    await adapter.send(target(), message());
    const tokens = production.requests.map((r) => r.headers['authorization']);
    assert.equal(tokens[0], tokens[1]);
    assert.notEqual(tokens[1], tokens[2]);
  });

  test('410, BadDeviceToken and Unregistered reject the token; 429 and 5xx retry; other errors fail', async () => {
    production.answers.push(
      { status: 410, body: JSON.stringify({ reason: 'Unregistered', timestamp: 1 }) },
      { status: 400, body: JSON.stringify({ reason: 'BadDeviceToken' }) },
      { status: 429, body: JSON.stringify({ reason: 'TooManyRequests' }) },
      {
        status: 503,
        body: JSON.stringify({ reason: 'ServiceUnavailable' }),
        headers: { 'retry-after': '30' },
      },
      { status: 413, body: JSON.stringify({ reason: 'PayloadTooLarge' }) },
    );
    assert.equal((await adapter.send(target(), message())).kind, 'rejected');
    assert.equal((await adapter.send(target(), message())).kind, 'rejected');
    assert.equal((await adapter.send(target(), message())).kind, 'retry');
    assert.deepEqual(await adapter.send(target(), message()), {
      kind: 'retry',
      reason: 'APNs 503 ServiceUnavailable',
      afterMs: 30_000,
    });
    assert.equal((await adapter.send(target(), message())).kind, 'failed');
  });

  test('an expired provider token is signed again for the retry', async () => {
    await adapter.send(target(), message());
    production.answers.push({
      status: 403,
      body: JSON.stringify({ reason: 'ExpiredProviderToken' }),
    });
    clock.advance(1000);
    assert.equal((await adapter.send(target(), message())).kind, 'retry');
    await adapter.send(target(), message());
    const tokens = production.requests.map((r) => r.headers['authorization']);
    assert.equal(tokens[0], tokens[1]);
    assert.notEqual(tokens[1], tokens[2]);
  });

  test('an unreachable gateway is a retry', async () => {
    const closed = await startHttp2Server();
    await closed.close();
    const offline = apnsAdapter(
      {
        key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        keyId: 'KEY1234567',
        teamId: 'TEAM123456',
        productionUrl: closed.url,
        sandboxUrl: closed.url,
      },
      now,
    );
    assert.equal((await offline.send(target(), message())).kind, 'retry');
    await offline.close?.();
  });
});

describe('FCM HTTP v1 with a service-account OAuth token', () => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  let server: ProtocolServer;
  let adapter: ReturnType<typeof fcmAdapter>;
  let tokenRequests = 0;
  const target = { deviceId: crypto.randomUUID(), platform: PLATFORM_FCM, token: 'f'.repeat(40) };

  beforeAll(async () => {
    server = await startHttpServer();
    const tokenUrl = `${server.url}/token`;
    const spki = await importSPKI(
      publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      'RS256',
    );
    server.routes['/token'] = (req) => {
      tokenRequests += 1;
      assert.equal(req.method, 'POST');
      assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
      const form = new URLSearchParams(req.body.toString());
      assert.equal(form.get('grant_type'), 'urn:ietf:params:oauth:grant-type:jwt-bearer');
      // Verified synchronously below by the test that reads `lastAssertion`.
      lastAssertion = form.get('assertion') ?? '';
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          access_token: `ya29.local-${tokenRequests}`,
          expires_in: 3599,
          token_type: 'Bearer',
        }),
      };
    };
    verifyAssertion = async () => {
      const { payload, protectedHeader } = await jwtVerify(lastAssertion, spki, {
        issuer: 'push@kith-test.iam.gserviceaccount.com',
        audience: tokenUrl,
        currentDate: now(),
      });
      assert.equal(protectedHeader.alg, 'RS256');
      assert.equal(payload['scope'], 'https://www.googleapis.com/auth/firebase.messaging');
      assert.equal(payload.exp! - payload.iat!, 3600);
    };
    adapter = fcmAdapter(
      {
        projectId: 'kith-test',
        clientEmail: 'push@kith-test.iam.gserviceaccount.com',
        privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        tokenUrl,
        url: server.url,
      },
      now,
    );
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => {
    server.requests.length = 0;
    server.answers.length = 0;
  });
  let lastAssertion = '';
  let verifyAssertion: () => Promise<void> = async () => {};

  test('a push is POSTed to messages:send with the OAuth token from a signed JWT grant, reused while valid', async () => {
    const before = tokenRequests;
    const sos = message({ type: 14, critical: true, title: 'SOS from Ana' });
    assert.deepEqual(await adapter.send(target, sos), { kind: 'ok' });
    await adapter.send(target, message());
    assert.equal(tokenRequests - before, 1);
    await verifyAssertion();
    const req = server.requests[0]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/v1/projects/kith-test/messages:send');
    assert.equal(req.headers['authorization'], `Bearer ya29.local-${tokenRequests}`);
    assert.equal(req.headers['content-type'], 'application/json');
    const body = JSON.parse(req.body.toString()) as { message: Record<string, unknown> };
    assert.deepEqual(body.message, {
      token: target.token,
      notification: { title: 'SOS from Ana', body: sos.body },
      data: { user_id: sos.data['user_id'], notification_id: sos.notificationId, type: '14' },
      android: { priority: 'high', ttl: '86400s', notification: { channel_id: 'sos' } },
    });
  });

  test('the access token is fetched again before it expires', async () => {
    await adapter.send(target, message());
    const before = tokenRequests;
    clock.advance(56 * 60_000);
    await adapter.send(target, message());
    assert.equal(tokenRequests, before + 1);
  });

  test('UNREGISTERED and 404 reject the token; 429 and 5xx retry after Retry-After; other errors fail', async () => {
    const error = (status: number, code: string, errorCode?: string) => ({
      status,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        error: {
          code: status,
          status: code,
          details: errorCode
            ? [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }]
            : [],
        },
      }),
    });
    server.answers.push(
      error(404, 'NOT_FOUND', 'UNREGISTERED'),
      error(400, 'INVALID_ARGUMENT', 'UNREGISTERED'),
      { ...error(503, 'UNAVAILABLE', 'UNAVAILABLE'), headers: { 'retry-after': '120' } },
      error(429, 'RESOURCE_EXHAUSTED', 'QUOTA_EXCEEDED'),
      error(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT'),
    );
    assert.equal((await adapter.send(target, message())).kind, 'rejected');
    assert.equal((await adapter.send(target, message())).kind, 'rejected');
    assert.deepEqual(await adapter.send(target, message()), {
      kind: 'retry',
      reason: 'FCM 503 UNAVAILABLE',
      afterMs: 120_000,
    });
    assert.equal((await adapter.send(target, message())).kind, 'retry');
    assert.equal((await adapter.send(target, message())).kind, 'failed');
  });
});

describe('Web Push with VAPID and RFC 8291 encryption', () => {
  const vapid = { ...vapidKeysFromSeed(crypto.randomBytes(32)), subject: 'mailto:push@kith.test' };
  let server: ProtocolServer;
  let adapter: ReturnType<typeof webPushAdapter>;
  const keys = subscriptionKeys();
  const target = () => ({
    deviceId: crypto.randomUUID(),
    platform: PLATFORM_WEB_PUSH,
    token: `${server.url}/wpush/v2/abc123`,
    webPush: { p256dh: keys.p256dh, auth: keys.auth },
  });

  beforeAll(async () => {
    server = await startHttpServer();
    adapter = webPushAdapter(vapid, ['127.0.0.1'], now);
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => {
    server.requests.length = 0;
    server.answers.length = 0;
  });

  test('the payload is encrypted for the subscription alone and the request carries a VAPID token for the push service', async () => {
    const sos = message({ type: 14, critical: true, title: 'SOS from Ana' });
    assert.deepEqual(await adapter.send(target(), sos), { kind: 'ok' });
    const req = server.requests[0]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/wpush/v2/abc123');
    assert.equal(req.headers['content-encoding'], 'aes128gcm');
    assert.equal(req.headers['content-type'], 'application/octet-stream');
    assert.equal(req.headers['ttl'], '86400');
    assert.equal(req.headers['urgency'], 'high');
    const match = /^vapid t=([^,]+), k=([A-Za-z0-9_-]+)$/.exec(req.headers['authorization']!);
    assert.ok(match, req.headers['authorization']);
    assert.equal(match[2], vapid.publicKey);
    const point = Buffer.from(vapid.publicKey, 'base64url');
    const key = await importJWK(
      {
        kty: 'EC',
        crv: 'P-256',
        x: point.subarray(1, 33).toString('base64url'),
        y: point.subarray(33, 65).toString('base64url'),
      },
      'ES256',
    );
    const { payload } = await jwtVerify(match[1]!, key, { audience: server.url });
    assert.equal(payload.sub, 'mailto:push@kith.test');
    assert.ok(payload.exp! * 1000 <= Date.now() + 24 * 3600_000);

    const { plaintext } = decryptAes128gcm(req.body, keys.ecdh, keys.authSecret);
    assert.deepEqual(JSON.parse(plaintext), {
      title: 'SOS from Ana',
      body: sos.body,
      critical: true,
      time_sensitive: false,
      data: { user_id: sos.data['user_id'], notification_id: sos.notificationId, type: '14' },
    });
    // Another subscription's keys cannot read it.
    const stranger = subscriptionKeys();
    assert.throws(() => decryptAes128gcm(req.body, stranger.ecdh, keys.authSecret));
  });

  test('404 and 410 reject the subscription; 5xx retries; other errors fail', async () => {
    server.answers.push({ status: 410 }, { status: 404 }, { status: 502 }, { status: 400 });
    assert.equal((await adapter.send(target(), message())).kind, 'rejected');
    assert.equal((await adapter.send(target(), message())).kind, 'rejected');
    assert.equal((await adapter.send(target(), message())).kind, 'retry');
    assert.equal((await adapter.send(target(), message())).kind, 'failed');
  });

  test('an endpoint that is not on a push service is never contacted', async () => {
    const strict = webPushAdapter(vapid, ['fcm.googleapis.com'], now);
    assert.equal((await strict.send(target(), message())).kind, 'rejected');
    assert.equal(server.requests.length, 0);
  });
});

describe('embedded mode without a provider', () => {
  test('each push is written as a JSON file under <dataDir>/push/, naming the device but not its token', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kith-push-'));
    try {
      const adapter = filePushAdapter(dataDir, now);
      const m = message({ critical: true });
      const deviceId = crypto.randomUUID();
      const secretToken = 'secret-fcm-token-'.padEnd(40, 'x');
      assert.deepEqual(
        await adapter.send({ deviceId, platform: PLATFORM_FCM, token: secretToken }, m),
        { kind: 'ok' },
      );
      const files = await fs.readdir(path.join(dataDir, 'push'));
      assert.equal(files.length, 1);
      assert.ok(files[0]!.endsWith(`${m.deliveryId}.json`));
      const text = await fs.readFile(path.join(dataDir, 'push', files[0]!), 'utf8');
      const record = JSON.parse(text) as Record<string, unknown>;
      assert.equal(record['platform'], 'fcm');
      assert.equal(record['device_id'], deviceId);
      assert.equal(record['notification_id'], m.notificationId);
      assert.equal(record['title'], m.title);
      assert.equal(record['critical'], true);
      assert.ok(!text.includes(secretToken));
      const stat = await fs.stat(path.join(dataDir, 'push', files[0]!));
      assert.equal(stat.mode & 0o777, 0o600);
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
