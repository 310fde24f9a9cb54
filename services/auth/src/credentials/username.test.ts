import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { checkUsername, normalizeUsername, usernameSkeleton } from './username.js';

describe('usernames', () => {
  test('normalize to lowercase for case-insensitive uniqueness', () => {
    assert.equal(normalizeUsername('John_Doe'), 'john_doe');
    assert.equal(normalizeUsername('JOHN_DOE'), normalizeUsername('john_doe'));
    assert.notEqual(normalizeUsername('john_doe'), normalizeUsername('johndoe'));
  });

  test('look-alikes share a skeleton', () => {
    const skeleton = usernameSkeleton('johndoe');
    for (const lookAlike of ['john_doe', 'JohnDoe', 'J0HN_D0E', 'iohndoe', 'Iohn_doe', 'l0hndoe']) {
      assert.equal(usernameSkeleton(lookAlike), skeleton, lookAlike);
    }
    assert.equal(usernameSkeleton('rnartin'), usernameSkeleton('martin'));
    assert.equal(usernameSkeleton('vvalter'), usernameSkeleton('walter'));
    assert.equal(usernameSkeleton('5am_1ee'), usernameSkeleton('samlee'));
    assert.equal(usernameSkeleton('bi11'), usernameSkeleton('bill'));
  });

  test('different names keep different skeletons', () => {
    for (const [a, b] of [
      ['johndoe', 'janedoe'],
      ['martin', 'marti'],
      ['walter', 'valter'],
      ['sam', 'san'],
      ['bob123', 'bob124'],
    ] as const) {
      assert.notEqual(usernameSkeleton(a), usernameSkeleton(b), `${a} / ${b}`);
    }
  });

  test('the skeleton of a skeleton is itself', () => {
    for (const name of ['r_n_vv_v', 'J0HN_D0E', 'vvvv', 'rnrn', 'Mr_Nobody_1']) {
      const skeleton = usernameSkeleton(name);
      assert.equal(usernameSkeleton(skeleton), skeleton, name);
    }
  });

  test('accepts ordinary names', () => {
    for (const name of [
      'ada',
      'john_doe',
      'Ada_Lovelace_1815',
      'x1y2z3',
      'a'.repeat(30),
      'bob_2',
    ]) {
      assert.equal(checkUsername(name), null, name);
    }
  });

  test('rejects names outside 3..30 of [A-Za-z0-9_]', () => {
    assert.deepEqual(checkUsername('ab'), { code: 'too_short', minLength: 3 });
    assert.deepEqual(checkUsername('a'.repeat(31)), { code: 'too_long', maxLength: 30 });
    for (const name of ['john doe', 'john-doe', 'jöhn', 'john.doe', 'jоhn' /* Cyrillic о */]) {
      assert.deepEqual(checkUsername(name), { code: 'invalid_characters' }, name);
    }
  });

  test('rejects names that are all digits or all underscores', () => {
    assert.deepEqual(checkUsername('12345'), { code: 'all_digits' });
    assert.deepEqual(checkUsername('000'), { code: 'all_digits' });
    assert.deepEqual(checkUsername('___'), { code: 'all_underscores' });
    assert.equal(checkUsername('1234a'), null);
  });

  test('rejects leading, trailing and doubled underscores', () => {
    assert.deepEqual(checkUsername('_john'), { code: 'leading_underscore' });
    assert.deepEqual(checkUsername('john_'), { code: 'trailing_underscore' });
    assert.deepEqual(checkUsername('john__doe'), { code: 'double_underscore' });
    assert.equal(checkUsername('j_o_h_n'), null);
  });

  test('rejects reserved names, their case variants and their look-alikes', () => {
    for (const name of [
      'admin',
      'Admin',
      'adm1n',
      'ADM1N',
      'ad_min',
      'root',
      'r00t',
      'support',
      'Supp0rt',
      'kith',
      'K1TH',
      'kith_support',
      'moderator',
      'mod',
      'sos',
      'S0S',
      'noreply',
      'no_reply',
      'postmaster',
      'security',
      'official',
      'system',
      'www',
      'vvvvvv',
    ]) {
      assert.deepEqual(checkUsername(name), { code: 'reserved' }, name);
    }
  });

  test('reserves whole names only, not names that contain one', () => {
    for (const name of ['admiral', 'rooted', 'supporter_ann', 'modest', 'sosa']) {
      assert.equal(checkUsername(name), null, name);
    }
  });
});
