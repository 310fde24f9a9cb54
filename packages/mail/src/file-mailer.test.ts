import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { createFileMailer } from './file-mailer.js';
import { mailerContract } from './mailer-contract.js';
import { readMessage } from './read-mime.js';

const FROM = 'Kith <no-reply@kith.example>';
const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kith-mail-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(tempDirs.map((d) => fs.rm(d, { recursive: true, force: true })));
});

async function readEmlFiles(dir: string) {
  const names = await fs.readdir(dir).catch(() => []);
  return names.filter((n) => n.endsWith('.eml')).sort();
}

mailerContract('file', async () => {
  const dir = path.join(await tempDir(), 'mail');
  return {
    mailer: createFileMailer({ dir, from: FROM }),
    from: FROM,
    async delivered() {
      const names = await readEmlFiles(dir);
      return Promise.all(names.map(async (n) => ({ raw: await fs.readFile(path.join(dir, n)) })));
    },
    teardown: async () => undefined,
  };
});

describe('file mailer', () => {
  it('creates the directory and writes a private .eml named by time and message id', async () => {
    const dir = path.join(await tempDir(), '.data', 'mail');
    const at = new Date('2026-11-23T12:00:05.123Z');
    const mailer = createFileMailer({ dir, from: FROM, clock: () => at });
    const sent = await mailer.send({ to: 'ana@example.com', subject: 'Oi', text: 'Olá — ✓' });
    await mailer.close();

    assert.equal(path.dirname(sent.path), dir);
    const local = sent.messageId.slice(1, sent.messageId.indexOf('@'));
    assert.equal(path.basename(sent.path), `20261123T120005.123Z-${local}.eml`);
    assert.deepEqual(await fs.readdir(dir), [path.basename(sent.path)]);
    assert.equal((await fs.stat(sent.path)).mode & 0o777, 0o600);
    assert.equal((await fs.stat(dir)).mode & 0o777, 0o700);

    const raw = await fs.readFile(sent.path);
    assert.ok(raw.includes('\r\n'), 'CRLF line ends, as RFC 5322 has them');
    assert.ok(!/[^\r]\n/.test(raw.toString('latin1')), 'no bare LF');
    const read = readMessage(raw);
    assert.equal(read.header('mime-version'), '1.0');
    assert.equal(read.text, 'Olá — ✓');
  });

  it('writes one file per message, in time order, and refuses to send after close', async () => {
    const dir = await tempDir();
    let now = Date.parse('2026-11-23T12:00:00Z');
    const mailer = createFileMailer({ dir, from: FROM, clock: () => new Date((now += 1000)) });
    const subjects = ['one', 'two', 'three'];
    for (const subject of subjects) await mailer.send({ to: 'a@example.com', subject, text: 'x' });
    await mailer.close();
    const names = await readEmlFiles(dir);
    assert.equal(names.length, 3);
    const read = await Promise.all(
      names.map(async (n) => readMessage(await fs.readFile(path.join(dir, n)))),
    );
    assert.deepEqual(
      read.map((m) => m.header('subject')),
      subjects,
    );
    await assert.rejects(mailer.send({ to: 'a@example.com', subject: 's', text: 't' }), /closed/);
  });
});
