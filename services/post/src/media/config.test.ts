import assert from 'node:assert/strict';
import { loadEnv, platformEnvSchema, toPlatformConfig } from '@kith/config';
import { createRootLogger } from '@kith/logging';
import { test } from 'vitest';
import { mediaStorageFromEnv } from './config.js';

// Which media store the settings choose: S3 when a bucket is named, the local store otherwise
// (with the data dir's secret, or POST_MEDIA_URL_SECRET), none when neither can sign links.

const logger = createRootLogger({ level: 'silent' });
const config = toPlatformConfig(loadEnv(platformEnvSchema, { KITH_DATA_DIR: '/tmp/kith-x' }));
const ctx = (env: Record<string, string>, secret?: Buffer) => ({
  env,
  config,
  clock: () => new Date(),
  derivedSecret: () => secret,
});
const nameOf = (chosen: ReturnType<typeof mediaStorageFromEnv>) =>
  'storage' in chosen ? chosen.storage.name : chosen.unavailable;

test('the local store with the derived secret, S3 when a bucket is named, none without a secret', () => {
  assert.equal(nameOf(mediaStorageFromEnv(ctx({}, Buffer.alloc(32, 1)), logger)), 'local');
  assert.equal(nameOf(mediaStorageFromEnv(ctx({ POST_MEDIA_S3_BUCKET: 'media' }), logger)), 's3');
  assert.match(nameOf(mediaStorageFromEnv(ctx({}), logger)), /not configured/);
  const secret = Buffer.alloc(32, 2).toString('base64');
  assert.equal(
    nameOf(mediaStorageFromEnv(ctx({ POST_MEDIA_URL_SECRET: secret }), logger)),
    'local',
  );
  assert.throws(
    () => mediaStorageFromEnv(ctx({ POST_MEDIA_URL_SECRET: 'c2hvcnQ=' }), logger),
    /POST_MEDIA_URL_SECRET/,
  );
  assert.throws(
    () =>
      mediaStorageFromEnv(
        ctx({ POST_MEDIA_S3_BUCKET: 'media', POST_MEDIA_S3_ACCESS_KEY_ID: 'only-one' }),
        logger,
      ),
    /both/,
  );
});
