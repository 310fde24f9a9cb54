import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
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

  it('hashes the normalized code with SHA-256, so every spelling finds the same row', () => {
    const [code] = generateRecoveryCodes(1) as [string];
    const expected = crypto.createHash('sha256').update(code.replace('-', '')).digest('hex');
    assert.equal(hashRecoveryCode(code), expected);
    assert.match(expected, /^[0-9a-f]{64}$/);
    assert.equal(hashRecoveryCode(code.replace('-', '')), expected);
    assert.equal(hashRecoveryCode(code.toUpperCase()), expected);
    const other = code.slice(0, -1) + (code.endsWith('a') ? 'b' : 'a');
    assert.notEqual(hashRecoveryCode(other), expected);
  });
});
