import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'vitest';
import {
  generateRecoveryCodes,
  hashRecoveryCode,
  normalizeRecoveryCode,
  RECOVERY_CODE_ALPHABET,
} from './recovery-codes.js';

const PROTO_PATTERN = /^[a-z0-9]{4}-?[a-z0-9]{4}$/;

describe('recovery codes', () => {
  it('generates ten distinct codes shaped abcd-efgh that the API accepts', () => {
    const codes = generateRecoveryCodes();
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    for (const code of codes) {
      assert.match(code, /^[a-z0-9]{4}-[a-z0-9]{4}$/);
      assert.match(code, PROTO_PATTERN);
    }
  });

  it('never uses look-alike characters, and uses every other one', () => {
    assert.equal(RECOVERY_CODE_ALPHABET.length, 31);
    const seen = new Set(generateRecoveryCodes(2000).join('').replaceAll('-', ''));
    for (const lookAlike of ['0', 'o', '1', 'l', 'i']) assert.ok(!seen.has(lookAlike), lookAlike);
    assert.deepEqual([...seen].sort().join(''), [...RECOVERY_CODE_ALPHABET].sort().join(''));
  });

  it('generates the requested number and refuses nonsense', () => {
    assert.equal(generateRecoveryCodes(3).length, 3);
    assert.throws(() => generateRecoveryCodes(0), RangeError);
    assert.throws(() => generateRecoveryCodes(1.5), RangeError);
  });

  it('normalizes what people type: the dash, case and surrounding space', () => {
    assert.equal(normalizeRecoveryCode('abcd-efgh'), 'abcdefgh');
    assert.equal(normalizeRecoveryCode('ABCD-EFGH'), 'abcdefgh');
    assert.equal(normalizeRecoveryCode(' abcdefgh\n'), 'abcdefgh');
  });

  it('stores a keyed MAC of the normalized code: every spelling finds the same row', () => {
    const key = crypto.randomBytes(32);
    const [code] = generateRecoveryCodes(1) as [string];
    const expected = crypto.createHmac('sha256', key).update(code.replace('-', '')).digest('hex');
    assert.equal(hashRecoveryCode(key, code), expected);
    assert.match(expected, /^[0-9a-f]{64}$/);
    assert.equal(hashRecoveryCode(key, code.replace('-', '')), expected);
    assert.equal(hashRecoveryCode(key, code.toUpperCase()), expected);
    const other = code.slice(0, -1) + (code.endsWith('a') ? 'b' : 'a');
    assert.notEqual(hashRecoveryCode(key, other), expected);
  });

  it('cannot be recomputed from a stolen table without the server key', () => {
    const [code] = generateRecoveryCodes(1) as [string];
    const stored = hashRecoveryCode(crypto.randomBytes(32), code);
    // What a bare hash would have been, and what another key gives: neither matches.
    const bare = crypto.createHash('sha256').update(code.replace('-', '')).digest('hex');
    assert.notEqual(stored, bare);
    assert.notEqual(hashRecoveryCode(crypto.randomBytes(32), code), stored);
  });
});
