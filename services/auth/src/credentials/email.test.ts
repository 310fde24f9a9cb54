import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { InvalidArgumentError } from '@kith/errors';
import { canonicalEmail, emailDomain, InvalidEmailError, maskEmail } from './email.js';

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InvalidEmailError);
    assert.ok(err instanceof InvalidArgumentError, 'maps to InvalidArgument');
    assert.deepEqual(err.violations, [{ field: 'email', message: 'not a valid e-mail address' }]);
    return err.reason;
  }
  assert.fail('expected InvalidEmailError');
}

describe('canonical e-mail', () => {
  test('trims and lowercases both parts', () => {
    assert.equal(canonicalEmail('  Ada.Lovelace@Example.COM \n'), 'ada.lovelace@example.com');
    assert.equal(canonicalEmail('ADA@example.com'), canonicalEmail('ada@EXAMPLE.com'));
  });

  test('keeps dots and +tags outside Gmail', () => {
    assert.equal(canonicalEmail('a.b+news@example.com'), 'a.b+news@example.com');
    assert.notEqual(canonicalEmail('a.b@example.com'), canonicalEmail('ab@example.com'));
  });

  test('folds Gmail dots, +tags and googlemail.com into one mailbox', () => {
    for (const alias of [
      'johndoe@gmail.com',
      'John.Doe@gmail.com',
      'j.o.h.n.d.o.e@GMAIL.com',
      'johndoe+kith@gmail.com',
      'john.doe+a.b+c@googlemail.com',
      'JohnDoe@GoogleMail.com',
    ]) {
      assert.equal(canonicalEmail(alias), 'johndoe@gmail.com', alias);
    }
    assert.equal(canonicalEmail('john.doe@gmail.com.evil.com'), 'john.doe@gmail.com.evil.com');
  });

  test('splits at the last @', () => {
    assert.equal(canonicalEmail('"a@b"@Example.com'), '"a@b"@example.com');
    assert.equal(emailDomain('"a@b"@Example.com'), 'example.com');
  });

  test('converts IDN domains to punycode, however they are typed', () => {
    assert.equal(canonicalEmail('Jörg@Bücher.DE'), 'jörg@xn--bcher-kva.de');
    assert.equal(canonicalEmail('jörg@xn--bcher-kva.de'), 'jörg@xn--bcher-kva.de');
    assert.equal(canonicalEmail('user@ＥＸＡＭＰＬＥ.com'), 'user@example.com');
    assert.equal(canonicalEmail('user@example.com.'), 'user@example.com');
  });

  test('one key for a local part typed composed or decomposed', () => {
    const nfc = 'jörg@example.com'.normalize('NFC');
    const nfd = 'jörg@example.com'.normalize('NFD');
    assert.notEqual(nfc, nfd);
    assert.equal(canonicalEmail(nfd), canonicalEmail(nfc));
  });

  test('rejects input that is not an address with a typed error', () => {
    const cases: [string, string][] = [
      ['ada.example.com', 'missing_at'],
      ['', 'missing_at'],
      ['@example.com', 'empty_local_part'],
      ['+tag@gmail.com', 'empty_local_part'],
      ['ada@', 'invalid_domain'],
      ['ada@exa mple.com', 'invalid_domain'],
      ['ada@-example.com', 'invalid_domain'],
      ['ada@a..b', 'invalid_domain'],
      ['ada@1.2.3.4', 'invalid_domain'],
    ];
    for (const [input, expected] of cases) {
      assert.equal(
        reason(() => canonicalEmail(input)),
        expected,
        input,
      );
    }
    assert.equal(
      reason(() => emailDomain('nobody')),
      'missing_at',
    );
    assert.equal(
      reason(() => maskEmail('nobody')),
      'missing_at',
    );
  });
});

describe('e-mail domain', () => {
  test('is the lowercase ASCII domain', () => {
    assert.equal(emailDomain('Ada@Mail.Example.COM'), 'mail.example.com');
    assert.equal(emailDomain('jörg@Bücher.de'), 'xn--bcher-kva.de');
    assert.equal(
      emailDomain('x@googlemail.com'),
      'googlemail.com',
      'not folded: it names a domain',
    );
  });
});

describe('masked e-mail', () => {
  test('shows the first character and the domain only', () => {
    assert.equal(maskEmail('ada.lovelace@example.com'), 'a***@example.com');
    assert.equal(maskEmail('  ada@Example.com '), 'a***@example.com');
    assert.equal(maskEmail('a@example.com'), 'a***@example.com', 'length not revealed');
  });

  test('keeps a non-BMP first character whole and shows IDNs readably', () => {
    assert.equal(maskEmail('😀smile@example.com'), '😀***@example.com');
    assert.equal(maskEmail('jörg@xn--bcher-kva.de'), 'j***@bücher.de');
  });
});
