import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { checkUsername } from '../credentials/index.js';
import {
  FALLBACK_USERNAME,
  sanitiseUsername,
  usernameBase,
  usernameCandidates,
  withSuffix,
} from './link-username.js';

describe('usernames derived from an OIDC identity', () => {
  test('sanitising folds case, diacritics and other characters to [a-z0-9_]', () => {
    assert.equal(sanitiseUsername('Zoë.O’Brien-Smith'), 'zoe_o_brien_smith');
    assert.equal(sanitiseUsername('__ana  maria__'), 'ana_maria');
    assert.equal(sanitiseUsername('José'), 'jose');
  });

  test('sanitising keeps 3..30 characters and never ends on an underscore', () => {
    assert.equal(sanitiseUsername('ab'), null);
    assert.equal(sanitiseUsername('a.b'), 'a_b');
    const long = sanitiseUsername('abcdefghijklmnopqrstuvwxyz_0123456789');
    assert.equal(long, 'abcdefghijklmnopqrstuvwxyz_012');
    assert.equal(sanitiseUsername('x'.repeat(29) + '.y'), 'x'.repeat(29));
  });

  test('sanitising refuses what checkUsername refuses: reserved, all digits, non-latin only', () => {
    assert.equal(sanitiseUsername('Admin'), null);
    assert.equal(sanitiseUsername('5upp0rt'), null);
    assert.equal(sanitiseUsername('1234567'), null);
    assert.equal(sanitiseUsername('山田太郎'), null);
  });

  test('the base is the preferred username, else the e-mail local part, else the fallback', () => {
    assert.equal(usernameBase({ preferredUsername: 'Frank.S', email: 'x@example.com' }), 'frank_s');
    assert.equal(
      usernameBase({ preferredUsername: 'root', email: 'ana.l+tag@example.com' }),
      'ana_l_tag',
    );
    assert.equal(usernameBase({ email: '12345@example.com' }), FALLBACK_USERNAME);
    assert.equal(usernameBase({}), FALLBACK_USERNAME);
  });

  test('a suffix shortens the base so the name still fits', () => {
    assert.equal(withSuffix('alice', '2'), 'alice2');
    assert.equal(withSuffix('a'.repeat(30), '12'), 'a'.repeat(28) + '12');
    assert.equal(withSuffix('a'.repeat(28) + '_b', '7'), 'a'.repeat(28) + '7');
  });

  test('candidates: base, base2…base9, then random suffixes, all valid', () => {
    const candidates = [...usernameCandidates('alice')];
    assert.deepEqual(candidates.slice(0, 3), ['alice', 'alice2', 'alice3']);
    assert.equal(candidates[8], 'alice9');
    assert.ok(candidates.length > 10);
    for (const c of candidates.slice(9)) assert.match(c, /^alice\d{4}$/);
    for (const c of candidates) assert.equal(checkUsername(c), null, c);
  });

  test('the fallback base goes straight to random suffixes', () => {
    const candidates = [...usernameCandidates(FALLBACK_USERNAME)];
    assert.ok(candidates.length > 0);
    for (const c of candidates) assert.match(c, /^user\d{4}$/);
  });
});
