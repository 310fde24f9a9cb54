import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'vitest';
import { ConfigError } from '@kith/config';
import { loadPushConfig, vapidKeysFromSeed } from './config.js';

const noSecret = () => undefined;
const apnsKey = crypto
  .generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

test('distributed mode without VAPID keys has no Web Push, and GetPushConfig’s key is empty', () => {
  const config = loadPushConfig({ KITH_MODE: 'distributed' }, noSecret);
  assert.equal(config.vapid, undefined);
  assert.equal(config.apns, undefined);
  assert.equal(config.fcm, undefined);
});

test('embedded mode derives one stable VAPID key pair per data dir secret', () => {
  const seed = crypto.randomBytes(32);
  const a = loadPushConfig({}, () => seed);
  const b = loadPushConfig({}, () => seed);
  assert.deepEqual(a.vapid, b.vapid);
  assert.equal(a.vapidConfigured, false);
  const other = loadPushConfig({}, () => crypto.randomBytes(32));
  assert.notEqual(other.vapid!.publicKey, a.vapid!.publicKey);
  // The private scalar really belongs to the public point.
  const ecdh = crypto.createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.from(a.vapid!.privateKey, 'base64url'));
  assert.equal(ecdh.getPublicKey().toString('base64url'), a.vapid!.publicKey);
});

test('configured VAPID keys win over the derived ones', () => {
  const keys = vapidKeysFromSeed(crypto.randomBytes(32));
  const config = loadPushConfig(
    { PUSH_VAPID_PUBLIC_KEY: keys.publicKey, PUSH_VAPID_PRIVATE_KEY: keys.privateKey },
    () => crypto.randomBytes(32),
  );
  assert.equal(config.vapid!.publicKey, keys.publicKey);
  assert.equal(config.vapidConfigured, true);
});

test('half an APNs configuration, APNs without app ids, or a plain-http provider off loopback is refused at start', () => {
  assert.throws(() => loadPushConfig({ PUSH_APNS_KEY: apnsKey }, noSecret), ConfigError);
  assert.throws(
    () =>
      loadPushConfig(
        { PUSH_APNS_KEY: apnsKey, PUSH_APNS_KEY_ID: 'KEY1234567', PUSH_APNS_TEAM_ID: 'TEAM123456' },
        noSecret,
      ),
    ConfigError,
  );
  assert.throws(
    () => loadPushConfig({ PUSH_FCM_URL: 'http://fcm.example.com' }, noSecret),
    ConfigError,
  );
  assert.throws(
    () => loadPushConfig({ PUSH_FCM_SERVICE_ACCOUNT: '{"project_id":"p"}' }, noSecret),
    ConfigError,
  );
});

test('an APNs key given on one line with escaped newlines is read as PEM', () => {
  const config = loadPushConfig(
    {
      PUSH_APNS_KEY: apnsKey.replace(/\n/g, '\\n'),
      PUSH_APNS_KEY_ID: 'KEY1234567',
      PUSH_APNS_TEAM_ID: 'TEAM123456',
      PUSH_APNS_APP_IDS: 'app.kith.ios, app.kith.ios.beta',
    },
    noSecret,
  );
  assert.equal(config.apns!.key, apnsKey);
  assert.deepEqual(config.apnsAppIds, ['app.kith.ios', 'app.kith.ios.beta']);
  assert.equal(config.apns!.productionUrl, 'https://api.push.apple.com');
});
