import assert from 'node:assert/strict';
import { test } from 'vitest';
import type { NodeRequest } from './http-types.js';
import { createClientAddress } from './client-address.js';

function request(peer: string, forwardedFor?: string): NodeRequest {
  return {
    socket: { remoteAddress: peer },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  } as unknown as NodeRequest;
}

test('without trusted proxies the socket peer is the client, whatever X-Forwarded-For says', () => {
  const address = createClientAddress({ hops: 0 });
  assert.equal(address(request('203.0.113.7', '198.51.100.1')), '203.0.113.7');
  assert.equal(address(request('::ffff:203.0.113.7')), '203.0.113.7');
});

test('with a hop count the client is the entry the outermost trusted proxy appended', () => {
  const address = createClientAddress({ hops: 1 });
  assert.equal(address(request('10.0.0.5', 'spoofed, 198.51.100.1')), '198.51.100.1');
});

test('with TRUST_PROXY_CIDRS, X-Forwarded-For from a peer outside the ranges is ignored', () => {
  const address = createClientAddress({ hops: 1, cidrs: ['10.0.0.0/8'] });
  // A client connecting directly cannot name another address to dodge its limits.
  assert.equal(address(request('203.0.113.7', '198.51.100.1')), '203.0.113.7');
});

test('with TRUST_PROXY_CIDRS the client is the nearest hop outside the proxy ranges', () => {
  const address = createClientAddress({ hops: 0, cidrs: ['10.0.0.0/8', 'fd00::/8'] });
  assert.equal(address(request('10.0.0.5', '198.51.100.1')), '198.51.100.1');
  // Two proxies inside the ranges (ingress, then a sidecar); the spoofed leftmost entry is
  // never reached because the first hop outside the ranges is the client.
  assert.equal(
    address(request('::ffff:10.0.0.5', 'spoofed, 198.51.100.1, 10.1.2.3')),
    '198.51.100.1',
  );
  assert.equal(address(request('fd00::1', '2001:db8::9, fd00::2')), '2001:db8::9');
  // A trusted peer without the header is the client itself.
  assert.equal(address(request('10.0.0.5')), '10.0.0.5');
});

test('an invalid range is refused when the resolver is built', () => {
  assert.throws(() => createClientAddress({ hops: 0, cidrs: ['10.0.0.0/40'] }), /not a CIDR/);
});
