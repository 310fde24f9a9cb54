import assert from 'node:assert/strict';
import { MediaKind, MediaStatus } from '@kith/gen/kith/post/v1/media_pb.js';
import sharp from 'sharp';
import { afterAll, beforeAll, test } from 'vitest';
import { seedUser, startAuthHarness } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import {
  jpegWithGps,
  picture,
  PLANTED,
  sha256Of,
  uploaded,
  uploadOnly,
} from '../testing/media-fixtures.js';
import { startPostHarness } from '../testing/post-harness.js';
import type { PostHarness } from '../testing/post-harness.js';
import { startS3 } from '../testing/s3.js';
import type { TestS3 } from '../testing/s3.js';
import { MEDIA_PURGE_AFTER_MS, purgeUnheldMedia } from './media.js';

// The same flow with the post process configured for S3 (POST_MEDIA_S3_*), against a real
// S3-protocol server: uploads go straight to the bucket, links are presigned by S3's rules.

let s3: TestS3;
let c: PostHarness<AuthHarness>;
beforeAll(async () => {
  s3 = await startS3();
  c = await startPostHarness(
    {
      start: startAuthHarness,
      seed: (h) => seedUser(h),
      anonymous: (h) => h.withHeaders({}).transport,
    },
    { env: s3.env },
  );
});
afterAll(async () => {
  await c?.stop();
  await s3?.stop();
});

const pub = { kind: { case: 'public' as const, value: {} } };
const rowOf = (mediaId: string) =>
  c.app.database.db.selectFrom('media').selectAll().where('id', '=', mediaId).executeTakeFirst();

test('with S3 configured, an image goes to the bucket, is processed and served by presigned links', async () => {
  assert.equal(c.app.media.storage?.name, 's3');
  const ana = await c.person();
  const jpeg = await jpegWithGps(640, 480);
  const upload = await ana.posts.createUploadUrl({
    kind: MediaKind.IMAGE,
    contentType: 'image/jpeg',
    sizeBytes: BigInt(jpeg.length),
  });
  assert.ok(upload.uploadUrl.startsWith(`${s3.endpoint}/${s3.bucket}/`), upload.uploadUrl);
  assert.ok(new URL(upload.uploadUrl).searchParams.get('X-Amz-Signature'));

  const media = await uploaded(ana, c.h.url, jpeg, 'image/jpeg', { altText: 'on S3' });
  assert.equal(media.status, MediaStatus.READY, media.failureReason);
  assert.deepEqual([media.width, media.height], [640, 480]);
  assert.ok(media.blurhash);
  const row = await rowOf(media.mediaId);
  const storage = c.app.media.storage!;
  assert.equal(await storage.get(row!.upload_key), undefined, 'the original is not kept');
  for (const key of [row!.object_key, row!.thumbnail_key]) {
    const data = Buffer.from((await storage.get(key))!);
    assert.equal((await sharp(data).metadata()).exif, undefined, `${key} has no EXIF`);
    assert.ok(!data.toString('latin1').includes(PLANTED.make));
  }

  const { post } = await ana.posts.createPost({
    text: 'from the bucket',
    audience: pub,
    mediaIds: [media.mediaId],
  });
  const shown = post!.media[0]!;
  // Without a CDN origin (POST_MEDIA_S3_PUBLIC_URL) even a public post's links are presigned.
  assert.ok(shown.urlExpiresAt);
  const res = await fetch(shown.url);
  assert.equal(res.status, 200);
  const served = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
  assert.deepEqual([served.format, served.width], ['webp', 640]);
  const anon = await c.anonymous.getMedia({ mediaId: media.mediaId });
  assert.equal((await fetch(anon.media!.thumbnailUrl)).status, 200);
});

test('with S3, an HTML file declared image/png ends FAILED and the purge empties the bucket of unheld media', async () => {
  const ana = await c.person();
  const html = Buffer.from('<html><body onload="x()"></body></html>');
  const failed = await uploaded(ana, c.h.url, html, 'image/png');
  assert.equal(failed.status, MediaStatus.FAILED);
  const loose = await uploaded(ana, c.h.url, await picture(30, 20), 'image/png');
  const row = await rowOf(loose.mediaId);
  const storage = c.app.media.storage!;
  assert.ok(await storage.get(row!.object_key));

  c.h.clock.advance(MEDIA_PURGE_AFTER_MS + 60_000);
  await purgeUnheldMedia(c.app);
  assert.equal(await rowOf(loose.mediaId), undefined);
  assert.equal(await rowOf(failed.mediaId), undefined);
  assert.equal(await storage.get(row!.object_key), undefined);
  assert.equal(await storage.get(row!.thumbnail_key), undefined);
});

test('with S3, CompleteUpload checks the declared size and SHA-256 itself, whatever the bucket let through', async () => {
  const ana = await c.person();
  const png = await picture(30, 30);
  const other = await picture(31, 30);
  // s3rver, unlike S3, enforces neither the signed length nor the checksum header.
  const wrongBytes = await uploadOnly(ana, c.h.url, other, 'image/png', {
    sha256: sha256Of(png),
  });
  const refused = (await ana.posts.completeUpload({ mediaId: wrongBytes })).media!;
  assert.equal(refused.status, MediaStatus.FAILED);
  assert.match(refused.failureReason, /sha256/);
  const upload = await ana.posts.createUploadUrl({
    kind: MediaKind.IMAGE,
    contentType: 'image/png',
    sizeBytes: BigInt(png.length + 10),
  });
  const { 'content-length': _, ...headers } = upload.requiredHeaders;
  const put = await fetch(upload.uploadUrl, { method: 'PUT', headers, body: png });
  assert.equal(put.status, 200);
  const short = upload.mediaId;
  const shorter = (await ana.posts.completeUpload({ mediaId: short })).media!;
  assert.equal(shorter.status, MediaStatus.FAILED);
  assert.match(shorter.failureReason, /not the \d+ declared/);
});
