import assert from 'node:assert/strict';
import { test } from 'vitest';
import {
  compileLinkRule,
  extractHosts,
  hasLink,
  hostMatchesDomain,
  normalizeDomain,
} from './links.js';

test('hosts are found in http and https URLs, lower-cased', () => {
  assert.deepEqual(extractHosts('see https://Evil.Example/path?q=1 and http://other.example'), [
    'evil.example',
    'other.example',
  ]);
  assert.deepEqual(extractHosts('HTTPS://EVIL.EXAMPLE'), ['evil.example']);
});

test('userinfo, ports and trailing dots do not hide the host', () => {
  assert.deepEqual(extractHosts('https://good.example@evil.example:8443/x'), ['evil.example']);
  assert.deepEqual(extractHosts('https://user:pw@evil.example/'), ['evil.example']);
  assert.deepEqual(extractHosts('https://evil.example./'), ['evil.example']);
  assert.deepEqual(extractHosts('visit evil.example.'), ['evil.example']);
});

test('percent-escapes and backslashes in the host are read as a browser reads them', () => {
  assert.deepEqual(extractHosts('https://%65vil.example/'), ['evil.example']);
  assert.deepEqual(extractHosts('https:\\\\evil.example\\path'), ['evil.example']);
});

test('bare domains, with or without www and a path, are links', () => {
  assert.deepEqual(extractHosts('go to evil.example/path now'), ['evil.example']);
  assert.deepEqual(extractHosts('www.evil.example'), ['www.evil.example']);
  assert.deepEqual(extractHosts('(evil.example)'), ['evil.example']);
  assert.deepEqual(extractHosts('a.b.evil.example:8080/x'), ['a.b.evil.example']);
});

test('markdown links yield the hosts of both label and target', () => {
  assert.deepEqual(extractHosts('[click](https://evil.example/a)'), ['evil.example']);
  assert.deepEqual(extractHosts('[https://good.example](https://evil.example)'), [
    'good.example',
    'evil.example',
  ]);
  assert.deepEqual(extractHosts('[a](https://one.example)[b](two.example)'), [
    'one.example',
    'two.example',
  ]);
  assert.deepEqual(extractHosts('<https://evil.example>'), ['evil.example']);
});

test('punctuation after a link is not part of its host', () => {
  assert.deepEqual(extractHosts('https://evil.example, then https://b.example; and c.example!'), [
    'evil.example',
    'b.example',
    'c.example',
  ]);
  assert.deepEqual(extractHosts('"https://evil.example"'), ['evil.example']);
});

test('internationalised domains are given in punycode', () => {
  assert.deepEqual(extractHosts('https://ÉVIL.example/'), ['xn--vil-9la.example']);
  assert.deepEqual(extractHosts('bücher.example'), ['xn--bcher-kva.example']);
  assert.deepEqual(extractHosts('https://пример.рф'), ['xn--e1afmkfd.xn--p1ai']);
  assert.deepEqual(extractHosts('see пример.рф today'), ['xn--e1afmkfd.xn--p1ai']);
});

test('full-width characters and invisible characters do not hide a link', () => {
  assert.deepEqual(extractHosts('ｈｔｔｐｓ：／／ｅｖｉｌ．ｅｘａｍｐｌｅ'), ['evil.example']);
  assert.deepEqual(extractHosts('evil\u200B.example'), ['evil.example']);
});

test('a URL path is not read as another link', () => {
  assert.deepEqual(extractHosts('https://good.example/redirect/evil.example'), ['good.example']);
});

test('each host is listed once', () => {
  assert.deepEqual(extractHosts('evil.example https://evil.example/a evil.example/b'), [
    'evil.example',
  ]);
});

test('text without links has no hosts', () => {
  for (const text of [
    '',
    'plain words',
    'e.g. this, i.e. that',
    'version 1.2.3',
    'mail me at bob@evil.example',
    'https:',
    'http://',
    'costs 3.50 now',
  ]) {
    assert.deepEqual(extractHosts(text), [], text);
    assert.equal(hasLink(text), false, text);
  }
});

test('hasLink is true for any link', () => {
  assert.equal(hasLink('x https://evil.example'), true);
  assert.equal(hasLink('x evil.example/p'), true);
  assert.equal(hasLink('http://192.0.2.1/'), true);
});

test('a host matches a listed domain when equal to it or its subdomain', () => {
  assert.equal(hostMatchesDomain('evil.example', 'evil.example'), true);
  assert.equal(hostMatchesDomain('a.b.evil.example', 'evil.example'), true);
  assert.equal(hostMatchesDomain('notevil.example', 'evil.example'), false);
  assert.equal(hostMatchesDomain('evil.example.other', 'evil.example'), false);
});

test('listed domains are normalised like hosts', () => {
  assert.equal(normalizeDomain('Evil.Example.'), 'evil.example');
  assert.equal(normalizeDomain('ÉVIL.example'), 'xn--vil-9la.example');
  assert.equal(normalizeDomain('xn--vil-9la.example'), 'xn--vil-9la.example');
});

test('a link rule matches listed domains and their subdomains only', () => {
  const matcher = compileLinkRule({ domains: ['evil.example', 'Bad.Example.'] });
  assert.equal(matcher.match('see https://a.evil.example/x'), 'a.evil.example');
  assert.equal(matcher.match('see evil.example'), 'evil.example');
  assert.equal(matcher.match('see WWW.BAD.EXAMPLE/x'), 'www.bad.example');
  assert.equal(matcher.match('see notevil.example and evil.example.other'), undefined);
  assert.equal(matcher.match('no links at all'), undefined);
  assert.equal(matcher.match('good.example then evil.example'), 'evil.example');
});

test('a link rule with an IDN domain matches the Unicode and punycode spellings', () => {
  const matcher = compileLinkRule({ domains: ['bücher.example'] });
  assert.equal(matcher.match('https://BÜCHER.example/'), 'xn--bcher-kva.example');
  assert.equal(matcher.match('xn--bcher-kva.example'), 'xn--bcher-kva.example');
  assert.equal(matcher.match('bucher.example'), undefined);
});
