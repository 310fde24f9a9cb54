import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  checkNewPassword,
  createPasswordPolicy,
  DEFAULT_COMMON_PASSWORDS_FILE,
  loadCommonPasswords,
  parseCommonPasswords,
} from './password-policy.js';

const ada = { email: 'ada.lovelace@example.com', username: 'countess_ada' };

describe('new password policy', () => {
  test('ships a list of at least 3000 common passwords, lowercase, with a sourced header', () => {
    const common = loadCommonPasswords();
    assert.ok(common.size >= 3000, `${common.size} entries`);
    assert.ok(common.has('password') && common.has('qwerty123'));
    for (const word of common) assert.equal(word, word.toLowerCase());
    const header = fs.readFileSync(DEFAULT_COMMON_PASSWORDS_FILE, 'utf8').split('\n')[0] ?? '';
    assert.match(header, /^# .*@zxcvbn-ts\/language-common@4\.1\.3.*MIT/);
  });

  test('rejects common passwords, case-insensitively', () => {
    for (const password of ['password', 'Password1', 'qwerty123', 'PASSWORD', 'iloveyou']) {
      assert.deepEqual(checkNewPassword(password, ada), { code: 'common' }, password);
    }
  });

  test('uses the whole list, not only its head', () => {
    const lines = fs.readFileSync(DEFAULT_COMMON_PASSWORDS_FILE, 'utf8').trimEnd().split('\n');
    const lastLongEnough = lines.findLast((line) => [...line].length >= 8) ?? '';
    assert.ok(lines.indexOf(lastLongEnough) > 3000);
    assert.deepEqual(checkNewPassword(lastLongEnough.toUpperCase(), ada), { code: 'common' });
  });

  test('accepts a strong passphrase and a random one', () => {
    assert.equal(checkNewPassword('violet tundra maple quartz 41', ada), null);
    assert.equal(checkNewPassword(crypto.randomBytes(18).toString('base64url'), ada), null);
  });

  test('counts length in code points: 8..128', () => {
    assert.deepEqual(checkNewPassword('xk3#vq9', ada), { code: 'too_short', minLength: 8 });
    assert.equal(checkNewPassword('xk3#vq9p', ada), null);
    assert.equal(checkNewPassword('k'.repeat(128), ada), null);
    assert.deepEqual(checkNewPassword('k'.repeat(129), ada), { code: 'too_long', maxLength: 128 });
  });

  test('an 8-emoji password (16 UTF-16 units) is 8 characters, not 16', () => {
    const eight = '🐱🐶🦊🐻🐼🐨🐯🦁';
    assert.equal(eight.length, 16);
    assert.equal(checkNewPassword(eight, ada), null);
    assert.deepEqual(checkNewPassword(eight.slice(0, 14), ada), {
      code: 'too_short',
      minLength: 8,
    });
    const long = '🦊'.repeat(128);
    assert.equal(checkNewPassword(long, ada), null);
    assert.deepEqual(checkNewPassword(long + '🦊', ada), { code: 'too_long', maxLength: 128 });
  });

  test('rejects a password equal to or containing the username, in any case', () => {
    const problem = { code: 'contains_identity', field: 'username' };
    assert.deepEqual(checkNewPassword('countess_ada', ada), problem);
    assert.deepEqual(checkNewPassword('My COUNTESS_Ada 1815!', ada), problem);
  });

  test('rejects a password containing the e-mail local part, in any case', () => {
    const problem = { code: 'contains_identity', field: 'email' };
    assert.deepEqual(checkNewPassword('Ada.Lovelace', ada), problem);
    assert.deepEqual(checkNewPassword('engine-ada.lovelace-1843', ada), problem);
    // Only the local part counts: the domain is shared by many people.
    assert.equal(checkNewPassword('example.com is my home', ada), null);
  });

  test('ignores identities shorter than 4 characters', () => {
    const short = { email: 'al@example.com', username: 'bob' };
    assert.equal(checkNewPassword('bob and al went sailing', short), null);
    const four = { email: 'alan@example.com', username: 'bobby' };
    assert.deepEqual(checkNewPassword('alan went sailing', four), {
      code: 'contains_identity',
      field: 'email',
    });
  });

  test('fails closed when the list cannot be read', () => {
    const policy = createPasswordPolicy({
      commonPasswordsFile: path.join(os.tmpdir(), `missing-${crypto.randomUUID()}.txt`),
    });
    assert.throws(() => policy.check('violet tundra maple quartz 41', ada), { code: 'ENOENT' });
  });

  test('reads a list from another file: comments and blank lines skipped, entries lowercased', () => {
    const file = path.join(os.tmpdir(), `common-${crypto.randomUUID()}.txt`);
    fs.writeFileSync(file, '# header\n\nHunter2Hunter2\r\n#notapassword\n');
    try {
      assert.deepEqual(
        [...parseCommonPasswords(fs.readFileSync(file, 'utf8'))],
        ['hunter2hunter2'],
      );
      const policy = createPasswordPolicy({ commonPasswordsFile: file });
      assert.deepEqual(policy.check('hunter2HUNTER2', ada), { code: 'common' });
      assert.equal(policy.check('#notapassword', ada), null);
      assert.equal(policy.check('password', ada), null, 'only the given list applies');
    } finally {
      fs.rmSync(file);
    }
  });
});
