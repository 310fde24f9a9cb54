import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'vitest';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { assembleArchive, sha256Hex, zipJsonFiles } from './archive.js';
import { assertBlobKey, filesystemBlobStorage } from './blob-storage.js';

const AT = new Date('2026-12-03T12:00:00Z');

test('a part naming a path outside its folder is refused, not unpacked', () => {
  for (const name of ['../user/profile.json', '/etc/passwd', 'a/../../b.json', 'a\\..\\b.json']) {
    const evil = zipSync({ [name]: strToU8('{}') });
    assert.throws(
      () =>
        assembleArchive({
          dataExportId: 'x',
          userId: 'u',
          generatedAt: AT,
          parts: [{ service: 'post', zip: evil }],
        }),
      /unsafe path/,
      name,
    );
  }
});

test('the manifest lists every file of every part with its sha256', () => {
  const archive = assembleArchive({
    dataExportId: 'x',
    userId: 'u',
    generatedAt: AT,
    parts: [
      { service: 'user', zip: zipJsonFiles({ profile: { a: 1 } }, AT) },
      { service: 'post', zip: zipJsonFiles({ posts: [1, 2] }, AT) },
    ],
  });
  const files = unzipSync(archive);
  const manifest = JSON.parse(new TextDecoder().decode(files['manifest.json']));
  assert.deepEqual(
    manifest.files.map((f: { path: string }) => f.path),
    ['user/profile.json', 'post/posts.json'],
  );
  for (const f of manifest.files) assert.equal(f.sha256, sha256Hex(files[f.path]!));
});

test('blob keys cannot leave the bucket', async () => {
  for (const key of ['../x', '/abs', 'a//b', 'a/../b', '', '.hidden/x']) {
    assert.throws(() => assertBlobKey(key), /invalid blob key/, key);
  }
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'kith-blobs-'));
  try {
    const blobs = filesystemBlobStorage(root);
    await blobs.put('exports/e1/user.zip', new Uint8Array([1, 2]));
    assert.deepEqual(await blobs.get('exports/e1/user.zip'), new Uint8Array([1, 2]));
    await assert.rejects(blobs.put('exports/../../escape', new Uint8Array([1])));
    await blobs.deletePrefix('exports/e1/');
    assert.equal(await blobs.get('exports/e1/user.zip'), undefined);
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
});
