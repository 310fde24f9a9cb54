import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { InvalidArgumentError } from '@kith/errors';
import { Role } from '@kith/gen/kith/auth/v1/types_pb.js';
import type { Account } from '../db/schema.js';
import { toAccountMessage, toProtoRole } from './account-message.js';
import { domainAndParents } from '../admin/admin-store.js';
import { emailLink } from './email-tokens.js';
import { confirmNewEmailMail, passwordResetMail, verifyEmailMail } from './mail-templates.js';
import { uniqueViolationConstraint } from './unique-violation.js';
import { verificationTarget } from './verify-email.js';
import { validateRegistration } from './violations.js';

function violationsOf(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InvalidArgumentError);
    return err.violations;
  }
  assert.fail('expected InvalidArgumentError');
}

describe('registration rules', () => {
  test('normalises a valid sign-up', () => {
    const r = validateRegistration({
      email: '  Ana.Silva@Example.COM ',
      username: 'Ana_Silva',
      password: 'bright paper comet dance',
    });
    assert.deepEqual(r, {
      email: 'Ana.Silva@Example.COM',
      emailCanonical: 'ana.silva@example.com',
      username: 'Ana_Silva',
      usernameNormalized: 'ana_silva',
      usernameSkeleton: 'anasllva',
    });
  });

  test('reports every problem at once, each on its field', () => {
    const violations = violationsOf(() =>
      validateRegistration({ email: 'no-at-sign', username: '_x', password: 'password' }),
    );
    assert.deepEqual(
      violations.map((v) => v.field),
      ['email', 'username', 'password'],
    );
  });

  test('explains each password problem in its own words', () => {
    const messageFor = (password: string) =>
      violationsOf(() =>
        validateRegistration({ email: 'carla@example.com', username: 'carlota', password }),
      )[0]?.message;
    assert.equal(messageFor('short'), 'must be at least 8 characters');
    assert.equal(messageFor('x'.repeat(129)), 'must be at most 128 characters');
    assert.equal(
      messageFor('iloveyou'),
      'is too easy to guess. This is a frequently used password. Add more words that are less common.',
    );
    assert.equal(messageFor('my carlota secret'), 'must not contain your username');
    assert.equal(messageFor('call carla@ home'), 'must not contain your e-mail address');
  });
});

describe('account rules', () => {
  test('a signed-in resend confirms the pending change first, then an unverified address', () => {
    const base = { email: 'a@example.com', email_verified_at: null, pending_email: null };
    assert.deepEqual(verificationTarget(base), { purpose: 'verify_email', email: 'a@example.com' });
    assert.deepEqual(verificationTarget({ ...base, pending_email: 'b@example.com' }), {
      purpose: 'change_email',
      email: 'b@example.com',
    });
    assert.equal(verificationTarget({ ...base, email_verified_at: new Date() }), undefined);
  });

  test('a domain is checked against itself and every parent', () => {
    assert.deepEqual(domainAndParents('a.mail.evil.com'), [
      'a.mail.evil.com',
      'mail.evil.com',
      'evil.com',
      'com',
    ]);
    // Whole labels only: 'notevil.com' is someone else's domain, not a subdomain of evil.com.
    assert.ok(!domainAndParents('notevil.com').includes('evil.com'));
  });

  test('roles map to the API enum', () => {
    assert.deepEqual((['user', 'triage', 'moderator', 'admin'] as const).map(toProtoRole), [
      Role.USER,
      Role.TRIAGE,
      Role.MODERATOR,
      Role.ADMIN,
    ]);
  });

  test('the account message shows disabled fields only for a disabled account', () => {
    const now = new Date('2026-11-23T10:00:00Z');
    const account = {
      id: 'id',
      email: 'a@example.com',
      email_verified_at: now,
      pending_email: null,
      username: 'ana',
      role: 'moderator',
      totp_enabled_at: null,
      password_hash: null,
      created_at: now,
      disabled_at: null,
      disabled_reason: '',
    } as unknown as Account;
    const extra = { recoveryCodesRemaining: 3, identities: [] };
    const message = toAccountMessage(account, extra);
    assert.equal(message.role, Role.MODERATOR);
    assert.equal(message.hasPassword, false);
    assert.equal(message.recoveryCodesRemaining, 3);
    assert.equal(message.disabledAt, undefined);
    const disabled = toAccountMessage(
      { ...account, disabled_at: now, disabled_reason: 'spam' },
      extra,
    );
    assert.equal(disabled.disabledReason, 'spam');
    assert.ok(disabled.disabledAt);
  });

  test('a unique violation is recognised through a wrapping error', () => {
    const pgError = Object.assign(new Error('duplicate key'), {
      code: '23505',
      constraint: 'accounts_email_canonical_key',
    });
    assert.equal(
      uniqueViolationConstraint(new Error('wrapped', { cause: pgError })),
      'accounts_email_canonical_key',
    );
    assert.equal(
      uniqueViolationConstraint(Object.assign(new Error('x'), { code: '23503' })),
      undefined,
    );
  });
});

describe('mail', () => {
  test('the link is the first URL in the text and carries the token', () => {
    const link = emailLink('http://app.kith.test', 'verify-email', 'kith_ev_abc-_');
    assert.equal(link, 'http://app.kith.test/verify-email?token=kith_ev_abc-_');
    for (const mail of [
      verifyEmailMail(link, 24 * 3600_000),
      confirmNewEmailMail(link, 24 * 3600_000),
      passwordResetMail(link, 3600_000),
    ]) {
      assert.equal(/https?:\/\/\S+/.exec(mail.text)?.[0], link);
    }
    assert.match(verifyEmailMail(link, 24 * 3600_000).text, /24 hours/);
    assert.match(passwordResetMail(link, 3600_000).text, /1 hour\b/);
  });
});
