import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, test } from 'vitest';
import { checkNewPassword, PASSWORD_MIN_SCORE } from './password-policy.js';

const ada = { email: 'ada.lovelace@example.com', username: 'countess_ada' };

/** The problem must be a refusal for weakness, with the estimator's advice as its reason. */
function assertWeak(password: string, context = ada): string {
  const problem = checkNewPassword(password, context);
  assert.equal(problem?.code, 'weak', `${password}: ${JSON.stringify(problem)}`);
  assert.ok(problem.score < PASSWORD_MIN_SCORE);
  assert.notEqual(problem.feedback, '');
  return problem.feedback;
}

describe('new password policy', () => {
  test('refuses common passwords and their usual variations, with advice', () => {
    // An exact list of common passwords accepted the first and refused the second.
    assert.match(assertWeak('password123456'), /commonly used password/);
    assert.match(assertWeak('qwertyuiop123'), /commonly used password/);
    for (const password of ['password', 'Password1', 'qwerty123', 'PASSWORD', 'iloveyou']) {
      assertWeak(password);
    }
    assertWeak('p@ssw0rd123456');
  });

  test('refuses repeated patterns and short random strings', () => {
    assert.match(assertWeak('a1b2c3d4'.repeat(16)), /[Rr]epeat/);
    assertWeak('xk3#vq9p');
  });

  test("weighs the person's own username and address, also disguised", () => {
    const quentin = { email: 'q.rble@example.com', username: 'zyfaxqorble' };
    assert.match(assertWeak('zyf4xq0rbl3!', quentin), /personal/);
    // The same string is strong for someone else.
    assert.equal(checkNewPassword('zyf4xq0rbl3!', ada), null);
  });

  test('accepts a strong passphrase and a random one', () => {
    assert.equal(checkNewPassword('violet tundra maple quartz 41', ada), null);
    assert.equal(checkNewPassword(crypto.randomBytes(18).toString('base64url'), ada), null);
  });

  test('counts length in code points: 8..128', () => {
    assert.deepEqual(checkNewPassword('Xk3#vq9', ada), { code: 'too_short', minLength: 8 });
    assert.equal(checkNewPassword('Xk3#vq9p!', ada), null);
    const long = crypto.randomBytes(96).toString('base64url');
    assert.equal(checkNewPassword(long, ada), null);
    assert.deepEqual(checkNewPassword(`${long}x`, ada), { code: 'too_long', maxLength: 128 });
  });

  test('an 8-emoji password (16 UTF-16 units) is 8 characters, not 16', () => {
    const eight = '🐱🐶🦊🐻🐼🐨🐯🦁';
    assert.equal(eight.length, 16);
    assert.equal(checkNewPassword(eight, ada), null);
    assert.deepEqual(checkNewPassword(eight.slice(0, 14), ada), {
      code: 'too_short',
      minLength: 8,
    });
    assert.deepEqual(checkNewPassword('🦊'.repeat(129), ada), { code: 'too_long', maxLength: 128 });
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
});
