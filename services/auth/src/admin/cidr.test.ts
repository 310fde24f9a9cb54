import assert from 'node:assert/strict';
import { test } from 'vitest';
import { parseCidr } from './cidr.js';

test('accepts IPv4 and IPv6 network blocks, single addresses included', () => {
  assert.deepEqual(parseCidr('203.0.113.0/24'), { text: '203.0.113.0/24', version: 4, prefix: 24 });
  assert.equal(parseCidr('198.51.100.7/32').prefix, 32);
  assert.equal(parseCidr('0.0.0.0/0').prefix, 0);
  assert.equal(parseCidr('2001:db8::/48').version, 6);
  assert.equal(parseCidr('2001:db8::1/128').prefix, 128);
  assert.equal(parseCidr('::/0').prefix, 0);
  assert.equal(parseCidr('::ffff:192.0.2.0/120').version, 6);
  assert.equal(parseCidr(' 10.0.0.0/8 ').text, '10.0.0.0/8');
});

test('refuses host bits set, bad prefixes and things that are not addresses', () => {
  const bad = [
    '203.0.113.7/24',
    '2001:db8::1/48',
    '::ffff:192.0.2.1/120',
    '10.0.0.0/33',
    '2001:db8::/129',
    '10.0.0.0',
    '10.0.0.0/',
    '10.0.0.0/8/8',
    '10.0.0.0/-1',
    '10.0.0.0/0x8',
    'example.com/24',
    'fe80::%eth0/64',
    '',
  ];
  for (const cidr of bad) {
    assert.throws(() => parseCidr(cidr), { name: 'InvalidArgumentError' }, cidr);
  }
});

test('the violation names the cidr field', () => {
  assert.throws(
    () => parseCidr('203.0.113.7/24'),
    (err: { violations?: { field: string }[] }) => err.violations?.[0]?.field === 'cidr',
  );
});
