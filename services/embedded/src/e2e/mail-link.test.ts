import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { runNode as run } from './helpers.js';
import { createFileMailer } from '@kith/mail';

describe('scripts/mail-link.mjs', () => {
  let dataDir: string;
  const token = `kith_ev_${'A1b2C3d4'.repeat(6)}`;
  const link = `http://localhost:3000/verify-email?token=${token}`;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kith-mail-link-'));
    // The mailer embedded mode uses: quoted-printable, so `=` is `=3D` and long lines break.
    let at = Date.parse('2026-01-01T00:00:00Z');
    const mailer = createFileMailer({
      dir: path.join(dataDir, 'mail'),
      from: 'Kith <no-reply@kith.local>',
      clock: () => new Date((at += 1000)),
    });
    await mailer.send({
      to: 'ben@example.com',
      subject: 'Confirm your e-mail address',
      text: 'Open this: http://localhost:3000/verify-email?token=kith_ev_older — Kith',
    });
    await mailer.send({
      to: 'ana@example.com',
      subject: 'Confirm your e-mail address',
      text: `Confirm the address for your new Kith account by opening this link:\n\n${link}\n\n— Kith`,
    });
    await mailer.close();
    const raw = await fs.readFile(
      path.join(dataDir, 'mail', (await fs.readdir(path.join(dataDir, 'mail'))).sort()[1]!),
      'latin1',
    );
    // The case the helper exists for: the link as written in the file cannot be copied.
    assert.ok(raw.includes('token=3D') && !raw.includes(link), 'the mail is quoted-printable');
  });
  afterAll(() => fs.rm(dataDir, { recursive: true, force: true }));

  test('prints the newest mail’s link, decoded', async () => {
    const result = await run(['scripts/mail-link.mjs'], { KITH_DATA_DIR: dataDir });
    assert.deepEqual([result.code, result.stdout], [0, `${link}\n`]);
  });

  test('--token prints only the token, and --to picks the newest mail to that address', async () => {
    const newest = await run(['scripts/mail-link.mjs', '--token'], { KITH_DATA_DIR: dataDir });
    assert.deepEqual([newest.code, newest.stdout], [0, `${token}\n`]);
    const ben = await run(['scripts/mail-link.mjs', '--to', 'ben@example.com', '--token'], {
      KITH_DATA_DIR: dataDir,
    });
    assert.deepEqual([ben.code, ben.stdout], [0, 'kith_ev_older\n']);
  });

  test('without a mail directory it says where it looked and exits 1', async () => {
    const missing = path.join(dataDir, 'nowhere');
    const result = await run(['scripts/mail-link.mjs'], { KITH_DATA_DIR: missing });
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`no mail directory at ${path.join(missing, 'mail')}`));
  });
});
