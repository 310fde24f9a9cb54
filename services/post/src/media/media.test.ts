import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Code, createClient } from '@connectrpc/connect';
import { MediaKind, MediaStatus } from '@kith/gen/kith/post/v1/media_pb.js';
import { PostService } from '@kith/gen/kith/post/v1/post_pb.js';
import { MediaAttachmentKind, PostInternalService } from '@kith/gen/kith/post/v1/internal_pb.js';
import { internalClient } from '@kith/runtime';
import { codeOf, rejectsWith, violatedFields, waitFor } from '@kith/testkit';
import exifr from 'exifr';
import sharp from 'sharp';
import { afterAll, beforeAll, test } from 'vitest';
import { seedUser, startAuthHarness, startSession } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import {
  hugePng,
  jpegWithGps,
  picture,
  PLANTED,
  reachable,
  sha256Of,
  uploaded,
  uploadOnly,
} from '../testing/media-fixtures.js';
import { postDataOf } from '../data/data.js';
import { startPostHarness } from '../testing/post-harness.js';
import type { Person, PostHarness } from '../testing/post-harness.js';
import { MEDIA_PURGE_AFTER_MS, purgeUnheldMedia } from './media.js';
import { MAX_IMAGE_PIXELS, THUMBNAIL_SIDE } from './process-image.js';

// Media on the local store (embedded mode): upload through the process's own signed links,
// processing, posts carrying images, who may read them, holds and the purge, the data sagas.

let c: PostHarness<AuthHarness>;
beforeAll(async () => {
  c = await startPostHarness({
    start: startAuthHarness,
    seed: (h) => seedUser(h),
    anonymous: (h) => h.withHeaders({}).transport,
  });
});
afterAll(() => c?.stop());

const pub = { kind: { case: 'public' as const, value: {} } };
const followers = { kind: { case: 'followers' as const, value: {} } };
const url = (link: string) => reachable(link, c.h.url);
const upload = (p: Person, data: Uint8Array, type: string, o?: { altText?: string }) =>
  uploaded(p, c.h.url, data, type, o);
const internal = () => internalClient(c.app.ctx.bus, PostInternalService);

/** The person with a fresh access token, after the clock moved past the old one's expiry. */
async function renewed(p: Person): Promise<Person> {
  const { accessToken } = await startSession(c.h, p);
  return { ...p, accessToken, posts: createClient(PostService, c.h.as(accessToken).transport) };
}

/** The media row as stored. */
const rowOf = (mediaId: string) =>
  c.app.database.db.selectFrom('media').selectAll().where('id', '=', mediaId).executeTakeFirst();

/** Every file the local store keeps for the media item, by name. */
async function storedFiles(ownerId: string, mediaId: string): Promise<Map<string, Buffer>> {
  const dir = path.join(c.app.ctx.config.dataDir, 'media', 'media', ownerId, mediaId);
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  return new Map(
    await Promise.all(
      names.map(async (n) => [n, await fs.readFile(path.join(dir, n))] as [string, Buffer]),
    ),
  );
}

test('an image goes up, is processed inline and appears on a public post with its dimensions, thumbnail and blurhash', async () => {
  const ana = await c.person();
  const bo = await c.person();
  const png = await picture(800, 600);
  const media = await upload(ana, png, 'image/png', { altText: 'a gradient' });
  assert.equal(media.status, MediaStatus.READY);
  assert.equal(media.kind, MediaKind.IMAGE);
  assert.equal(media.contentType, 'image/webp');
  assert.equal([media.width, media.height].join('x'), '800x600');
  assert.ok(media.blurhash.length >= 6, media.blurhash);
  assert.equal(media.altText, 'a gradient');
  assert.ok(media.url && media.thumbnailUrl);
  assert.ok(media.urlExpiresAt, 'unposted media gets links that expire');

  const image = await fetch(url(media.url));
  assert.equal(image.status, 200);
  assert.equal(image.headers.get('content-type'), 'image/webp');
  assert.equal(image.headers.get('x-content-type-options'), 'nosniff');
  const served = await sharp(Buffer.from(await image.arrayBuffer())).metadata();
  assert.deepEqual([served.format, served.width, served.height], ['webp', 800, 600]);
  const thumb = await sharp(
    Buffer.from(await (await fetch(url(media.thumbnailUrl))).arrayBuffer()),
  ).metadata();
  assert.deepEqual([thumb.width, thumb.height], [THUMBNAIL_SIDE, 300]);

  const before = (await c.events()).length;
  const { post } = await ana.posts.createPost({
    text: 'look',
    audience: pub,
    mediaIds: [media.mediaId],
  });
  assert.deepEqual(
    post?.media.map((m) => [m.mediaId, m.width, m.height, m.blurhash, m.altText]),
    [[media.mediaId, 800, 600, media.blurhash, 'a gradient']],
  );
  assert.equal(post?.media[0]?.urlExpiresAt, undefined, "a public post's media links never expire");
  const created = (await c.events())
    .slice(before)
    .find((e) => e.case === 'postCreated' && e.value.postId === post!.postId);
  assert.ok(created?.case === 'postCreated');
  assert.deepEqual(
    created.value.media.map((m) => [m.mediaId, m.kind, m.sha256]),
    [[media.mediaId, MediaKind.IMAGE, sha256Of(png)]],
    'the event carries the base64 SHA-256 of the bytes as uploaded',
  );

  const read = await bo.posts.getPost({ postId: post!.postId });
  assert.equal(read.post?.media[0]?.thumbnailUrl !== '', true);
  assert.equal((await fetch(url(read.post!.media[0]!.url))).status, 200);
  const anon = await c.anonymous.getMedia({ mediaId: media.mediaId });
  assert.equal(anon.media?.width, 800);
  assert.equal(anon.media?.urlExpiresAt, undefined);
  const timeline = await c.anonymous.getUserTimeline({ userId: ana.userId });
  assert.deepEqual(
    timeline.items.map((i) => i.post?.media.map((m) => m.mediaId)),
    [[media.mediaId]],
  );
});

test('EXIF and GPS tags of an uploaded JPEG survive in no stored derivative, and the original is not kept', async () => {
  const ana = await c.person();
  const jpeg = await jpegWithGps();
  const planted = await exifr.parse(jpeg, { gps: true });
  assert.equal(planted?.Make, PLANTED.make, 'the upload carries EXIF');
  assert.equal(planted?.latitude, PLANTED.latitude, 'and a GPS position');

  const media = await upload(ana, jpeg, 'image/jpeg');
  assert.equal(media.status, MediaStatus.READY, media.failureReason);
  const row = await rowOf(media.mediaId);
  const files = await storedFiles(ana.userId, media.mediaId);
  assert.deepEqual(
    [...files.keys()].sort(),
    [path.basename(row!.object_key), path.basename(row!.thumbnail_key)].sort(),
    'only the two derivatives are stored: the upload itself is gone',
  );
  for (const [name, data] of files) {
    const meta = await sharp(data).metadata();
    assert.equal(meta.format, 'webp', name);
    assert.equal(meta.exif, undefined, `${name} has no EXIF`);
    assert.equal(meta.xmp, undefined, `${name} has no XMP`);
    const text = data.toString('latin1');
    for (const needle of ['Exif', 'EXIF', PLANTED.make, 'Leaky', 'GPS']) {
      assert.ok(!text.includes(needle), `${name} contains ${needle}`);
    }
  }
  const served = Buffer.from(await (await fetch(url(media.url))).arrayBuffer());
  assert.equal((await sharp(served).metadata()).exif, undefined, 'nor does what is served');
});

test('an HTML file declared image/jpeg ends FAILED with a reason, stores nothing and cannot be posted', async () => {
  const ana = await c.person();
  const html = Buffer.from('<!doctype html><html><script>alert(1)</script></html>');
  const media = await upload(ana, html, 'image/jpeg');
  assert.equal(media.status, MediaStatus.FAILED);
  assert.match(media.failureReason, /not a JPEG, PNG, WebP or AVIF/);
  assert.equal(media.url, '');
  assert.equal((await storedFiles(ana.userId, media.mediaId)).size, 0);
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>');
  assert.equal((await upload(ana, svg, 'image/png')).status, MediaStatus.FAILED);
  await rejectsWith(
    ana.posts.createPost({ text: 'x', audience: pub, mediaIds: [media.mediaId] }),
    Code.FailedPrecondition,
  );
  await rejectsWith(
    ana.posts.updateMedia({
      mediaId: media.mediaId,
      altText: 'x',
      updateMask: { paths: ['alt_text'] },
    }),
    Code.FailedPrecondition,
  );
  const again = await rejectsWith(
    ana.posts.completeUpload({ mediaId: media.mediaId }),
    Code.FailedPrecondition,
  );
  assert.match(again.message, /FAILED/);
});

test('a 20000×20000 PNG is refused by the pixel limit from its header, before a full decode', async () => {
  const ana = await c.person();
  const png = hugePng();
  assert.ok(png.length < 200_000, `${png.length} bytes on disk`);
  const started = Date.now();
  const media = await upload(ana, png, 'image/png');
  assert.equal(media.status, MediaStatus.FAILED);
  assert.match(media.failureReason, new RegExp(`${MAX_IMAGE_PIXELS / 1_000_000} million pixels`));
  // Decoding 400 million pixels takes tens of seconds here; the header takes milliseconds.
  assert.ok(Date.now() - started < 5000, `${Date.now() - started} ms`);
});

test("another user's media cannot be completed, updated, posted, attached or read before it is posted", async () => {
  const ana = await c.person();
  const bo = await c.person();
  const pending = await uploadOnly(ana, c.h.url, await picture(40, 30), 'image/png');
  await rejectsWith(bo.posts.completeUpload({ mediaId: pending }), Code.NotFound);
  const ready = await upload(ana, await picture(40, 30), 'image/png');
  await rejectsWith(
    bo.posts.updateMedia({
      mediaId: ready.mediaId,
      altText: 'mine now',
      updateMask: { paths: ['alt_text'] },
    }),
    Code.NotFound,
  );
  await rejectsWith(bo.posts.getMedia({ mediaId: ready.mediaId }), Code.NotFound);
  await rejectsWith(c.anonymous.getMedia({ mediaId: ready.mediaId }), Code.NotFound);
  // The contract answers FailedPrecondition for media that is not the caller's own READY media.
  const before = await c.snapshot();
  await rejectsWith(
    bo.posts.createPost({ text: 'stolen', audience: pub, mediaIds: [ready.mediaId] }),
    Code.FailedPrecondition,
  );
  assert.deepEqual(await c.snapshot(), before, 'the refusal stored nothing');
  const { post } = await bo.posts.createPost({ text: 'mine', audience: pub });
  await rejectsWith(
    bo.posts.editPost({
      postId: post!.postId,
      mediaIds: [ready.mediaId],
      updateMask: { paths: ['media_ids'] },
    }),
    Code.FailedPrecondition,
  );
  assert.equal(
    await codeOf(
      internal().attachMedia({
        ownerUserId: bo.userId,
        mediaId: ready.mediaId,
        kind: MediaAttachmentKind.PROFILE_AVATAR,
        refId: bo.userId,
      }),
    ),
    Code.NotFound,
  );
  assert.equal((await rowOf(ready.mediaId))?.alt_text, '', 'nothing changed');
  assert.equal((await rowOf(pending))?.status, MediaStatus.PENDING_UPLOAD);
});

test('media on a followers-only post: its readers get expiring links; strangers and anonymous callers get NotFound', async () => {
  const ana = await c.person();
  const fan = await c.person();
  const stranger = await c.person();
  await c.follow(fan, ana);
  const media = await upload(ana, await picture(60, 40), 'image/png');
  const { post } = await ana.posts.createPost({
    text: 'friends only',
    audience: followers,
    mediaIds: [media.mediaId],
  });
  const seen = await fan.posts.getMedia({ mediaId: media.mediaId });
  assert.ok(seen.media?.urlExpiresAt, 'non-public media gets expiring links');
  const onPost = (await fan.posts.getPost({ postId: post!.postId })).post?.media[0];
  assert.ok(onPost?.urlExpiresAt);
  assert.equal((await fetch(url(onPost.url))).status, 200);
  await rejectsWith(stranger.posts.getMedia({ mediaId: media.mediaId }), Code.NotFound);
  await rejectsWith(c.anonymous.getMedia({ mediaId: media.mediaId }), Code.NotFound);
  await c.block(ana, fan);
  await rejectsWith(fan.posts.getMedia({ mediaId: media.mediaId }), Code.NotFound);

  // The link stops working when it expires (the local store checks the injected clock).
  c.h.clock.advance(2 * 3600_000);
  assert.equal((await fetch(url(onPost.url))).status, 403);
  const fresh = await (await renewed(ana)).posts.getMedia({ mediaId: media.mediaId });
  assert.equal((await fetch(url(fresh.media!.url))).status, 200);
});

test('UpdateMedia sets alt text and focal point, idempotently, for every post carrying it; moderation checks the alt text', async () => {
  const ana = await c.person();
  const media = await upload(ana, await picture(50, 50), 'image/png');
  const { post } = await ana.posts.createPost({
    text: 'x',
    audience: pub,
    mediaIds: [media.mediaId],
  });
  const request = {
    mediaId: media.mediaId,
    altText: 'a square',
    focus: { x: 0.5, y: -0.25 },
    updateMask: { paths: ['alt_text', 'focus'] },
  };
  const first = await ana.posts.updateMedia(request);
  const second = await ana.posts.updateMedia(request);
  assert.equal(first.media?.altText, 'a square');
  assert.deepEqual([first.media?.focus?.x, first.media?.focus?.y], [0.5, -0.25]);
  assert.deepEqual(second.media, first.media, 'the same values give the same answer');
  const shown = (await ana.posts.getPost({ postId: post!.postId })).post?.media[0];
  assert.equal(shown?.altText, 'a square');
  assert.equal(post?.revision, 1);
  const reset = await ana.posts.updateMedia({
    mediaId: media.mediaId,
    updateMask: { paths: ['focus'] },
  });
  assert.equal(reset.media?.focus, undefined, 'focus unset resets it to the centre');
  assert.equal(reset.media?.altText, 'a square');
  const refused = await rejectsWith(
    ana.posts.updateMedia({
      mediaId: media.mediaId,
      altText: 'something forbidden',
      updateMask: { paths: ['alt_text'] },
    }),
    Code.InvalidArgument,
  );
  assert.deepEqual(violatedFields(refused), ['alt_text']);
});

test('uploads: CompleteUpload waits for the bytes, runs once, and a retry with its key gets the same answer', async () => {
  const ana = await c.person();
  const png = await picture(30, 30);
  const upload = await ana.posts.createUploadUrl({
    kind: MediaKind.IMAGE,
    contentType: 'image/png',
    sizeBytes: BigInt(png.length),
  });
  assert.equal(upload.method, 'PUT');
  assert.equal(upload.requiredHeaders['content-type'], 'image/png');
  assert.equal(upload.requiredHeaders['content-length'], String(png.length));
  assert.equal(
    (await ana.posts.getMedia({ mediaId: upload.mediaId })).media?.status,
    MediaStatus.PENDING_UPLOAD,
  );
  const early = await rejectsWith(
    ana.posts.completeUpload({ mediaId: upload.mediaId }),
    Code.FailedPrecondition,
  );
  assert.match(early.message, /nothing was uploaded/);
  const put = await fetch(url(upload.uploadUrl), {
    method: 'PUT',
    headers: upload.requiredHeaders,
    body: png,
  });
  assert.equal(put.status, 200);
  const key = 'complete-once-1';
  const first = await ana.posts.completeUpload({ mediaId: upload.mediaId, idempotencyKey: key });
  const retry = await ana.posts.completeUpload({ mediaId: upload.mediaId, idempotencyKey: key });
  assert.equal(first.media?.status, MediaStatus.READY);
  assert.deepEqual(retry.media, first.media);
  await rejectsWith(
    ana.posts.completeUpload({ mediaId: upload.mediaId, idempotencyKey: 'another-key-2' }),
    Code.FailedPrecondition,
  );

  // A declared checksum the bytes do not match is refused by the store itself.
  const other = await picture(31, 30);
  const checked = await ana.posts.createUploadUrl({
    kind: MediaKind.IMAGE,
    contentType: 'image/png',
    sizeBytes: BigInt(png.length),
    sha256: sha256Of(other),
  });
  const wrong = await fetch(url(checked.uploadUrl), {
    method: 'PUT',
    headers: checked.requiredHeaders,
    body: png,
  });
  assert.equal(wrong.status, 400);
});

test('EditPost swaps media: the post.edited event carries the new media and the old one is let go of', async () => {
  const ana = await c.person();
  const one = await upload(ana, await picture(20, 20), 'image/png');
  const two = await upload(ana, await picture(21, 20), 'image/png');
  const { post } = await ana.posts.createPost({
    text: 'x',
    audience: pub,
    mediaIds: [one.mediaId],
  });
  const before = (await c.events()).length;
  const { post: edited } = await ana.posts.editPost({
    postId: post!.postId,
    mediaIds: [two.mediaId, one.mediaId],
    updateMask: { paths: ['media_ids'] },
  });
  assert.deepEqual(
    edited?.media.map((m) => m.mediaId),
    [two.mediaId, one.mediaId],
  );
  await ana.posts.editPost({
    postId: post!.postId,
    mediaIds: [two.mediaId],
    updateMask: { paths: ['media_ids'] },
  });
  const events = (await c.events()).slice(before).filter((e) => e.case === 'postEdited');
  assert.deepEqual(
    events.map((e) => e.value.media.map((m) => m.mediaId)),
    [[two.mediaId, one.mediaId], [two.mediaId]],
  );
  assert.ok((await rowOf(one.mediaId))?.released_at, 'the removed media starts its purge clock');
  assert.equal((await rowOf(two.mediaId))?.released_at, null);
});

test('the purge takes media nothing holds 24 h on, with its objects, sparing avatars, held media and media on posts', async () => {
  const ana = await c.person();
  const loose = await upload(ana, await picture(20, 20), 'image/png');
  const pending = await uploadOnly(ana, c.h.url, await picture(20, 21), 'image/png');
  const posted = await upload(ana, await picture(20, 22), 'image/png');
  const avatar = await upload(ana, await picture(20, 23), 'image/png');
  const note = await upload(ana, await picture(20, 24), 'image/png');
  const onDeleted = await upload(ana, await picture(20, 25), 'image/png');
  await ana.posts.createPost({ text: 'kept', audience: pub, mediaIds: [posted.mediaId] });
  const { post: doomed } = await ana.posts.createPost({
    text: 'doomed',
    audience: pub,
    mediaIds: [onDeleted.mediaId],
  });
  const held = await internal().attachMedia({
    ownerUserId: ana.userId,
    mediaId: avatar.mediaId,
    kind: MediaAttachmentKind.PROFILE_AVATAR,
    refId: ana.userId,
  });
  assert.equal(held.media?.urlExpiresAt, undefined, 'an avatar link never expires');
  assert.equal((await c.anonymous.getMedia({ mediaId: avatar.mediaId })).media?.width, 20);
  const noteHold = {
    ownerUserId: ana.userId,
    mediaId: note.mediaId,
    kind: MediaAttachmentKind.INCIDENT_NOTE,
    refId: crypto.randomUUID(),
  };
  await internal().attachMedia(noteHold);
  await internal().attachMedia(noteHold);
  await rejectsWith(c.anonymous.getMedia({ mediaId: note.mediaId }), Code.NotFound);
  assert.equal(
    await codeOf(internal().attachMedia({ ...noteHold, mediaId: pending })),
    Code.FailedPrecondition,
    'only READY media can be held',
  );

  c.h.clock.advance(MEDIA_PURGE_AFTER_MS - 60_000);
  const later = await renewed(ana);
  await later.posts.deletePost({ postId: doomed!.postId });
  await internal().detachMedia(noteHold);
  await purgeUnheldMedia(c.app); // earlier tests' media may go; none of this test's is 24 h old
  assert.ok(await rowOf(loose.mediaId), 'not 24 h old yet');
  assert.ok(await rowOf(pending));
  c.h.clock.advance(120_000);
  assert.ok((await purgeUnheldMedia(c.app)) >= 2);
  assert.equal(await rowOf(loose.mediaId), undefined);
  assert.equal(await rowOf(pending), undefined);
  assert.equal((await storedFiles(ana.userId, loose.mediaId)).size, 0, 'its objects are gone');
  await rejectsWith(later.posts.getMedia({ mediaId: loose.mediaId }), Code.NotFound);
  for (const kept of [posted, avatar, note, onDeleted]) {
    assert.ok(await rowOf(kept.mediaId), `${kept.mediaId} is kept`);
  }
  assert.equal((await storedFiles(ana.userId, posted.mediaId)).size, 2);

  // A day after the post was deleted and the note let go of it, they go too; the avatar stays.
  c.h.clock.advance(MEDIA_PURGE_AFTER_MS);
  await purgeUnheldMedia(c.app);
  assert.equal(await rowOf(onDeleted.mediaId), undefined);
  assert.equal(await rowOf(note.mediaId), undefined);
  assert.ok(await rowOf(posted.mediaId));
  assert.ok(await rowOf(avatar.mediaId));
  await internal().detachMedia({
    ownerUserId: ana.userId,
    mediaId: avatar.mediaId,
    kind: MediaAttachmentKind.PROFILE_AVATAR,
    refId: ana.userId,
  });
  await internal().detachMedia({ ...noteHold, mediaId: avatar.mediaId });
  await rejectsWith(c.anonymous.getMedia({ mediaId: avatar.mediaId }), Code.NotFound);
});

test("erasure deletes the user's media and its objects; the export lists their media's metadata", async () => {
  const ana = await c.person();
  const media = await upload(ana, await picture(24, 24), 'image/png', { altText: 'mine' });
  await ana.posts.createPost({ text: 'x', audience: pub, mediaIds: [media.mediaId] });
  const evidence = await upload(ana, await picture(25, 24), 'image/png');
  await internal().attachMedia({
    ownerUserId: ana.userId,
    mediaId: evidence.mediaId,
    kind: MediaAttachmentKind.REPORT_EVIDENCE,
    refId: crypto.randomUUID(),
  });

  const data = (await postDataOf(c.app.database.db, ana.userId)) as {
    media: { media_id: string; alt_text: string; width: number; status: string }[];
  };
  assert.deepEqual(
    data.media.map((m) => [m.media_id, m.alt_text, m.width, m.status]),
    [
      [media.mediaId, 'mine', 24, 'ready'],
      [evidence.mediaId, '', 25, 'ready'],
    ],
  );

  const before = (await c.events()).length;
  await c.publishAs('user', { case: 'userErased', value: { userId: ana.userId } });
  await waitFor(async () =>
    (await c.events()).slice(before).some((e) => e.case === 'dataErasureCompleted'),
  );
  assert.equal(await rowOf(media.mediaId), undefined);
  assert.equal((await storedFiles(ana.userId, media.mediaId)).size, 0);
  assert.ok(await rowOf(evidence.mediaId), 'report evidence stays until moderation lets go');
  assert.equal((await storedFiles(ana.userId, evidence.mediaId)).size, 2);
});
