import assert from 'node:assert/strict';
import { Code } from '@connectrpc/connect';
import { MediaKind, MediaStatus } from '@kith/gen/kith/post/v1/media_pb.js';
import type { Media } from '@kith/gen/kith/post/v1/media_pb.js';
import { MediaAttachmentKind, PostInternalService } from '@kith/gen/kith/post/v1/internal_pb.js';
import { internalClient } from '@kith/runtime';
import { rejectsWith, waitFor } from '@kith/testkit';
import { fileTypeFromBuffer } from 'file-type';
import { afterAll, beforeAll, test } from 'vitest';
import { seedUser, startAuthHarness } from '../../../auth/src/testing/index.js';
import type { AuthHarness } from '../../../auth/src/testing/index.js';
import { MEDIA_STATUS } from '../db/schema.js';
import {
  avFile,
  PLANTED_TAGS,
  probeServed,
  reachable,
  uploaded,
  uploadOnly,
} from '../testing/media-fixtures.js';
import { startPostHarness } from '../testing/post-harness.js';
import type { Person, PostHarness } from '../testing/post-harness.js';
import { MAX_TRANSCODE_ATTEMPTS, transcodeNext } from './transcoder.js';

// GIF, video and audio (ADR 0022): CompleteUpload answers PROCESSING, the transcoding worker
// in the process ends the item READY or FAILED with a real ffmpeg, and what it serves carries
// nothing of the original's metadata.

let c: PostHarness<AuthHarness>;
beforeAll(async () => {
  c = await startPostHarness({
    start: startAuthHarness,
    seed: (h) => seedUser(h),
    anonymous: (h) => h.withHeaders({}).transport,
  });
});
afterAll(() => c?.stop());

const fetchLink = async (link: string) => {
  const res = await fetch(reachable(link, c.h.url));
  assert.equal(res.status, 200, link);
  return { type: res.headers.get('content-type'), body: new Uint8Array(await res.arrayBuffer()) };
};

/** Uploads and completes; the media once the worker has finished with it. */
async function transcoded(p: Person, data: Uint8Array, type: string, kind: MediaKind) {
  const media = await uploaded(p, c.h.url, data, type, { kind });
  assert.equal(media.status, MediaStatus.PROCESSING);
  assert.equal(media.url, '');
  return finished(p, media.mediaId);
}

async function finished(p: Person, mediaId: string): Promise<Media> {
  let media: Media | undefined;
  await waitFor(
    async () => {
      media = (await p.posts.getMedia({ mediaId })).media;
      return media?.status === MediaStatus.READY || media?.status === MediaStatus.FAILED;
    },
    { timeoutMs: 60_000, intervalMs: 100, what: `media ${mediaId} processed` },
  );
  return media!;
}

const rowOf = (mediaId: string) =>
  c.app.database.db.selectFrom('media').selectAll().where('id', '=', mediaId).executeTakeFirst();

test('a GIF becomes a silent H.264 MP4 with a still, a blurhash and its size, and no duration', async () => {
  const ana = await c.person();
  const media = await transcoded(
    ana,
    await avFile('gif', { side: 96 }),
    'image/gif',
    MediaKind.GIF,
  );
  assert.equal(media.status, MediaStatus.READY, media.failureReason);
  assert.equal(media.kind, MediaKind.GIF);
  assert.equal(media.contentType, 'video/mp4');
  assert.equal(`${media.width}x${media.height}`, '96x72');
  assert.equal(media.duration, undefined);
  assert.ok(media.blurhash.length >= 6);
  const served = await fetchLink(media.url);
  assert.equal(served.type, 'video/mp4');
  assert.equal((await fileTypeFromBuffer(served.body))?.mime, 'video/mp4');
  assert.deepEqual((await probeServed(served.body)).streams, ['video']);
  const still = await fetchLink(media.thumbnailUrl);
  assert.equal((await fileTypeFromBuffer(still.body))?.mime, 'image/webp');
  assert.equal(Number(media.sizeBytes), served.body.length);
});

test('a video keeps its picture and sound, loses its location, title and artist tags, and reports its duration', async () => {
  const ana = await c.person();
  const original = await avFile('mp4', { seconds: 2 });
  // The fixture does carry the tags the served file must not.
  const before = await probeServed(original);
  assert.equal(before.tags.title, PLANTED_TAGS.title);
  assert.equal(before.tags.location, PLANTED_TAGS.location);

  const media = await transcoded(ana, original, 'video/mp4', MediaKind.VIDEO);
  assert.equal(media.status, MediaStatus.READY, media.failureReason);
  assert.equal(media.contentType, 'video/mp4');
  assert.equal(`${media.width}x${media.height}`, '64x48');
  const ms = Number(media.duration!.seconds) * 1000 + media.duration!.nanos / 1e6;
  assert.ok(ms > 1900 && ms < 2200, `duration ${ms} ms`);
  const served = await probeServed((await fetchLink(media.url)).body);
  assert.deepEqual(served.streams.sort(), ['audio', 'video']);
  const leaked = Object.entries(served.tags).filter(([, v]) =>
    Object.values(PLANTED_TAGS).some((t) => v.includes(t) || t.includes(v)),
  );
  assert.deepEqual(leaked, []);
  assert.equal(served.tags.location, undefined);
  // The original is gone from the store once processed.
  const row = await rowOf(media.mediaId);
  assert.equal(await c.app.media.storage!.size(row!.upload_key), undefined);
});

test('a WebM video is served as MP4', async () => {
  const ana = await c.person();
  const media = await transcoded(ana, await avFile('webm'), 'video/webm', MediaKind.VIDEO);
  assert.equal(media.status, MediaStatus.READY, media.failureReason);
  assert.equal(media.contentType, 'video/mp4');
  assert.equal((await fileTypeFromBuffer((await fetchLink(media.url)).body))?.mime, 'video/mp4');
});

test('audio becomes an MP3 without ID3 tags or a still; Ogg is accepted too', async () => {
  const ana = await c.person();
  for (const [format, type] of [
    ['mp3', 'audio/mpeg'],
    ['ogg', 'audio/ogg'],
  ] as const) {
    const original = await avFile(format, { seconds: 2 });
    assert.equal((await probeServed(original)).tags.title, PLANTED_TAGS.title);
    const media = await transcoded(ana, original, type, MediaKind.AUDIO);
    assert.equal(media.status, MediaStatus.READY, `${format}: ${media.failureReason}`);
    assert.equal(media.contentType, 'audio/mpeg');
    assert.equal(media.thumbnailUrl, '');
    assert.equal(`${media.width}x${media.height}`, '0x0');
    assert.ok(Number(media.duration?.seconds) >= 1, format);
    const served = await fetchLink(media.url);
    assert.equal(served.type, 'audio/mpeg');
    const probed = await probeServed(served.body);
    assert.deepEqual(probed.streams, ['audio']);
    assert.equal(probed.tags.title, undefined, format);
    assert.equal(probed.tags.artist, undefined, format);
    // No ID3v2 header at all.
    assert.notEqual(Buffer.from(served.body.subarray(0, 3)).toString('latin1'), 'ID3');
  }
});

test('a file that is not what its kind says, or longer than the limit, ends FAILED with a reason and nothing stored', async () => {
  const ana = await c.person();
  const html = Buffer.from('<html><script>alert(1)</script></html>'.padEnd(400, ' '));
  const cases: [Uint8Array, string, MediaKind, RegExp][] = [
    [html, 'video/mp4', MediaKind.VIDEO, /not an MP4 or WebM video/],
    [await avFile('mp3'), 'video/mp4', MediaKind.VIDEO, /not an MP4 or WebM video/],
    [await avFile('gif'), 'audio/mpeg', MediaKind.AUDIO, /not an MP3, Ogg or M4A/],
    // 181 s of a 16 px picture at one frame a second: over the 3 minutes of a video.
    [
      await avFile('mp4', { seconds: 181, side: 16, fps: 1 }),
      'video/mp4',
      MediaKind.VIDEO,
      /longer than 3 minutes/,
    ],
  ];
  for (const [data, type, kind, reason] of cases) {
    const media = await transcoded(ana, data, type, kind);
    assert.equal(media.status, MediaStatus.FAILED, `${reason}`);
    assert.match(media.failureReason, reason);
    assert.equal(media.url, '');
    const row = await rowOf(media.mediaId);
    assert.equal(await c.app.media.storage!.size(row!.upload_key), undefined);
    assert.equal(row!.object_key, '');
  }
});

test('a transcoded video goes on a post; it cannot be an avatar', async () => {
  const ana = await c.person();
  const media = await transcoded(ana, await avFile('mp4'), 'video/mp4', MediaKind.VIDEO);
  const { post } = await ana.posts.createPost({
    text: 'a short clip',
    audience: { kind: { case: 'public', value: {} } },
    mediaIds: [media.mediaId],
  });
  const shown = await c.anonymous.getPost({ postId: post!.postId });
  assert.equal(shown.post?.media[0]?.contentType, 'video/mp4');
  assert.ok(shown.post?.media[0]?.duration);
  const avatar = await rejectsWith(
    internalClient(c.app.ctx.bus, PostInternalService).attachMedia({
      ownerUserId: ana.userId,
      mediaId: media.mediaId,
      kind: MediaAttachmentKind.PROFILE_AVATAR,
      refId: ana.userId,
    }),
    Code.FailedPrecondition,
  );
  assert.match(avatar.message, /an avatar must be an image/);
  // Not READY yet: a post cannot carry it.
  const pending = await uploadOnly(ana, c.h.url, await avFile('gif'), 'image/gif', {
    kind: MediaKind.GIF,
  });
  await rejectsWith(
    ana.posts.createPost({
      text: 'too early',
      audience: { kind: { case: 'public', value: {} } },
      mediaIds: [pending],
    }),
    Code.FailedPrecondition,
  );
});

test('an item whose worker died is taken over once its lease lapses; one taken too often ends FAILED', async () => {
  const ana = await c.person();
  const db = c.app.database.db;
  const now = c.app.clock();
  // Stop the process's own worker from taking it first: hold the lease as a live worker would.
  const held = new Date(now.getTime() + 3_600_000);
  const mediaId = await uploadOnly(ana, c.h.url, await avFile('gif'), 'image/gif', {
    kind: MediaKind.GIF,
  });
  await db
    .updateTable('media')
    .set({ status: MEDIA_STATUS.PROCESSING, leased_until: held, attempts: 1 })
    .where('id', '=', mediaId)
    .execute();
  assert.equal(await transcodeNext(c.app), 0, 'a held item is not taken');
  // Its worker died: the lease lapsed.
  await db
    .updateTable('media')
    .set({ leased_until: new Date(now.getTime() - 1) })
    .where('id', '=', mediaId)
    .execute();
  const media = await finished(ana, mediaId);
  assert.equal(media.status, MediaStatus.READY, media.failureReason);
  assert.equal((await rowOf(mediaId))!.attempts, 2);

  const stuck = await uploadOnly(ana, c.h.url, await avFile('gif'), 'image/gif', {
    kind: MediaKind.GIF,
  });
  await db
    .updateTable('media')
    .set({ status: MEDIA_STATUS.PROCESSING, attempts: MAX_TRANSCODE_ATTEMPTS })
    .where('id', '=', stuck)
    .execute();
  const failed = await finished(ana, stuck);
  assert.equal(failed.status, MediaStatus.FAILED);
  assert.match(failed.failureReason, /could not be processed/);
});

test('a worker that stops mid-way gives the item back at once', async () => {
  const ana = await c.person();
  const db = c.app.database.db;
  const mediaId = await uploadOnly(ana, c.h.url, await avFile('gif'), 'image/gif', {
    kind: MediaKind.GIF,
  });
  // Queued without waking the process's worker, and taken by this stopping one.
  await db
    .updateTable('media')
    .set({ status: MEDIA_STATUS.PROCESSING, created_at: new Date(0) })
    .where('id', '=', mediaId)
    .execute();
  const stopping = new AbortController();
  stopping.abort();
  assert.equal(await transcodeNext(c.app, stopping.signal), 1);
  const row = await rowOf(mediaId);
  assert.equal(row!.status, MEDIA_STATUS.PROCESSING);
  assert.equal(row!.leased_until, null);
  assert.equal(row!.attempts, 1);
  // The next pass finishes it.
  assert.equal((await finished(ana, mediaId)).status, MediaStatus.READY);
});
