import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRootLogger } from '@kith/logging';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { startS3 } from '../testing/s3.js';
import { localMediaStorage } from './local-storage.js';
import { s3MediaStorage } from './s3-storage.js';
import type { MediaStorage } from './storage.js';

// One contract for both media stores: the local store (its links served by a plain HTTP
// server, as the post process serves them) and S3 against a real S3-protocol server (s3rver).

interface Subject {
  storage: MediaStorage;
  stop(): Promise<void>;
}

const temporaryDir = () => fs.mkdtemp(path.join(os.tmpdir(), 'kith-media-'));

async function localSubject(): Promise<Subject> {
  const root = await temporaryDir();
  // The routes are known once the store is built, and its links once the server listens.
  const routes: MediaStorage['http'] = {};
  const server = http.createServer((req, res) => {
    const route = routes[`${req.method} ${(req.url ?? '/').split('?')[0]}`];
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    void route(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const storage = localMediaStorage({
    root,
    secret: crypto.randomBytes(32),
    baseUrl: `http://127.0.0.1:${port}`,
    clock: () => new Date(),
    logger: createRootLogger({ level: 'silent' }),
  });
  Object.assign(routes, storage.http);
  return {
    storage,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fs.rm(root, { recursive: true, force: true });
    },
  };
}

async function s3Subject(): Promise<Subject> {
  const s3 = await startS3();
  return {
    storage: s3MediaStorage({
      bucket: s3.bucket,
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    }),
    stop: () => s3.stop(),
  };
}

const bytes = (text: string) => new Uint8Array(Buffer.from(text));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each([
  ['local', localSubject],
  ['s3', s3Subject],
] as const)('the %s media store', (name, start) => {
  let subject: Subject;
  let store: MediaStorage;
  beforeAll(async () => {
    subject = await start();
    store = subject.storage;
  });
  afterAll(() => subject?.stop());

  test('puts, reads, sizes and deletes objects; a missing one is undefined', async () => {
    assert.equal(store.name, name);
    await store.put('media/a/one/x.webp', bytes('first'), 'image/webp');
    assert.deepEqual(await store.get('media/a/one/x.webp'), bytes('first'));
    assert.equal(await store.size('media/a/one/x.webp'), 5);
    await store.put('media/a/one/x.webp', bytes('second!'), 'image/webp');
    assert.equal(await store.size('media/a/one/x.webp'), 7);
    assert.equal(await store.get('media/a/none'), undefined);
    assert.equal(await store.size('media/a/none'), undefined);
    await store.delete(['media/a/one/x.webp', 'media/a/none']);
    assert.equal(await store.get('media/a/one/x.webp'), undefined);
  });

  test('deletes every object under a prefix and nothing else', async () => {
    await store.put('media/b/one/x', bytes('x'), 'image/webp');
    await store.put('media/b/one/y', bytes('y'), 'image/webp');
    await store.put('media/b/two/x', bytes('z'), 'image/webp');
    await store.deletePrefix('media/b/one/');
    assert.equal(await store.get('media/b/one/x'), undefined);
    assert.equal(await store.get('media/b/one/y'), undefined);
    assert.deepEqual(await store.get('media/b/two/x'), bytes('z'));
    await store.deletePrefix('media/b/nothing/');
  });

  test('refuses keys that could leave the store', async () => {
    await assert.rejects(store.put('../escape', bytes('x'), 'image/webp'));
    await assert.rejects(store.get('media//x'));
    await assert.rejects(store.deletePrefix('media/b'));
  });

  test('takes an upload through its presigned PUT with the required headers', async () => {
    const data = crypto.randomBytes(3000);
    const sha256 = crypto.createHash('sha256').update(data).digest('base64');
    const upload = await store.signUpload(
      'media/c/one/upload',
      { contentType: 'image/png', sizeBytes: data.length, sha256 },
      60_000,
    );
    assert.equal(upload.method, 'PUT');
    assert.equal(upload.headers['content-type'], 'image/png');
    assert.equal(upload.headers['content-length'], String(data.length));
    assert.ok(upload.expiresAt.getTime() > Date.now() + 50_000);
    const res = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: data });
    assert.equal(res.status, 200, await res.text());
    assert.deepEqual(await store.get('media/c/one/upload'), new Uint8Array(data));
  });

  test('serves an object through a signed link, as its content type, until it expires', async () => {
    const data = crypto.randomBytes(1000);
    await store.put('media/d/one/x.webp', data, 'image/webp');
    const link = await store.signDownload('media/d/one/x.webp', 'image/webp', { ttlMs: 60_000 });
    assert.ok(link.expiresAt && link.expiresAt.getTime() > Date.now() + 50_000);
    const res = await fetch(link.url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/webp');
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), new Uint8Array(data));

    const open = await store.signDownload('media/d/one/x.webp', 'image/webp', { public: true });
    const publicRes = await fetch(open.url);
    assert.equal(publicRes.status, 200);
    assert.deepEqual(new Uint8Array(await publicRes.arrayBuffer()), new Uint8Array(data));
    // A store that cannot give a link without expiry says when it ends.
    if (open.expiresAt) assert.ok(open.expiresAt.getTime() > Date.now());

    // A player's byte ranges: a slice, the tail, past the end.
    const slice = await fetch(link.url, { headers: { range: 'bytes=100-199' } });
    assert.equal(slice.status, 206);
    assert.equal(slice.headers.get('content-range'), 'bytes 100-199/1000');
    assert.deepEqual(
      new Uint8Array(await slice.arrayBuffer()),
      new Uint8Array(data.subarray(100, 200)),
    );
    // s3rver answers a suffix range one byte long (real S3 follows the RFC): local only.
    if (name === 'local') {
      const tail = await fetch(link.url, { headers: { range: 'bytes=-10' } });
      assert.equal(tail.status, 206);
      assert.deepEqual(
        new Uint8Array(await tail.arrayBuffer()),
        new Uint8Array(data.subarray(990)),
      );
    }
    const past = await fetch(link.url, { headers: { range: 'bytes=5000-' } });
    assert.equal(past.status, 416);
    await past.arrayBuffer();

    const short = await store.signDownload('media/d/one/x.webp', 'image/webp', { ttlMs: 1000 });
    await sleep(2100);
    assert.equal((await fetch(short.url)).status, 403, 'an expired link is refused');
  });
});

describe('the local media store alone', () => {
  let subject: Subject;
  beforeAll(async () => {
    subject = await localSubject();
  });
  afterAll(() => subject?.stop());

  test('refuses an upload whose bytes, length or type differ from what its link allows, storing nothing', async () => {
    const store = subject.storage;
    const data = crypto.randomBytes(100);
    const sha256 = crypto.createHash('sha256').update(data).digest('base64');
    const upload = await store.signUpload(
      'media/e/one/upload',
      { contentType: 'image/jpeg', sizeBytes: 100, sha256 },
      60_000,
    );
    const put = (body: Uint8Array, headers = upload.headers, url = upload.url) =>
      fetch(url, { method: 'PUT', headers, body });
    const other = crypto.randomBytes(100);
    assert.equal((await put(other)).status, 400, 'other bytes than the declared sha256');
    assert.equal(
      (await put(data, { ...upload.headers, 'content-type': 'text/html' })).status,
      400,
      'another content type',
    );
    const { 'content-length': _, ...withoutLength } = upload.headers;
    assert.equal((await put(data.subarray(0, 50), withoutLength)).status, 400, 'fewer bytes');
    const tampered = upload.url.replace('len=100', 'len=50');
    assert.equal((await put(data.subarray(0, 50), withoutLength, tampered)).status, 403);
    assert.equal(await store.get('media/e/one/upload'), undefined);

    const link = await store.signDownload('media/e/one/x', 'image/webp', { ttlMs: 60_000 });
    const forged = link.url.replace('ct=image%2Fwebp', 'ct=text%2Fhtml');
    assert.equal((await fetch(forged)).status, 403, 'a link whose terms were changed');
  });
});
