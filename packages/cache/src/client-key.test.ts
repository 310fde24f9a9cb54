import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { clientKey, INVALID_CLIENT_KEY } from './client-key.js';

describe('clientKey', () => {
  it('keeps IPv4 addresses as they are', () => {
    assert.equal(clientKey('203.0.113.7'), '203.0.113.7');
    assert.notEqual(clientKey('203.0.113.7'), clientKey('203.0.113.8'));
  });

  it('groups IPv6 addresses by their /64', () => {
    const a = clientKey('2001:db8:1:2::5');
    assert.equal(a, '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:db8:1:2:ffff::1'), a);
    assert.equal(clientKey('2001:0DB8:0001:0002:abcd:ef01:2345:6789'), a);
    assert.notEqual(clientKey('2001:db8:1:3::5'), a);
  });

  it('handles zero groups inside the /64 and zone ids', () => {
    assert.equal(clientKey('2001:db8::1'), '2001:db8::/64');
    assert.equal(clientKey('2001:0:0:1::1'), '2001:0:0:1::/64');
    assert.equal(clientKey('::1'), '::/64');
    assert.equal(clientKey('fe80::1%eth0'), 'fe80::/64');
    assert.notEqual(clientKey('2001:db8:0:1::1'), clientKey('2001:db8:1::1'));
  });

  it('turns IPv4-mapped IPv6 into the IPv4 address', () => {
    assert.equal(clientKey('::ffff:1.2.3.4'), '1.2.3.4');
    assert.equal(clientKey('::FFFF:1.2.3.4'), '1.2.3.4');
    assert.equal(clientKey('::ffff:0102:0304'), '1.2.3.4');
    assert.equal(clientKey('0:0:0:0:0:ffff:c000:0201'), '192.0.2.1');
  });

  it('puts anything that is not an address in one bucket', () => {
    assert.equal(clientKey(''), INVALID_CLIENT_KEY);
    assert.equal(clientKey('localhost'), INVALID_CLIENT_KEY);
    assert.equal(clientKey('1.2.3.4, 5.6.7.8'), INVALID_CLIENT_KEY);
  });
});
