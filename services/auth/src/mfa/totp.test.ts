import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'vitest';
import { generateTotpSecret, totpAt, totpStep, totpUri, verifyTotp } from './totp.js';

// RFC 6238 appendix B: the SHA1 seed is the ASCII string '12345678901234567890'.
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const RFC_SHA1_VECTORS: [seconds: number, code: string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];
const at = (seconds: number) => new Date(seconds * 1000);

/** RFC 4226 HOTP written out with node:crypto, to check otplib against something independent. */
function referenceCode(key: Buffer, step: number, digits: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const value = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(value % 10 ** digits).padStart(digits, '0');
}

function base32Decode(input: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of input.replace(/=+$/, '')) {
    const index = alphabet.indexOf(ch);
    assert.ok(index >= 0, `not base32: ${ch}`);
    bits += index.toString(2).padStart(5, '0');
  }
  const bytes = bits.match(/.{8}/g) ?? [];
  return Buffer.from(bytes.map((b) => parseInt(b, 2)));
}

describe('TOTP codes', () => {
  it('matches the RFC 6238 SHA1 test vectors (8 digits)', () => {
    assert.equal(base32Decode(RFC_SECRET).toString('ascii'), '12345678901234567890');
    for (const [seconds, code] of RFC_SHA1_VECTORS) {
      assert.equal(totpAt(RFC_SECRET, at(seconds), 8), code, `T=${seconds}`);
    }
  });

  it('truncates to the 6 low digits for authenticator apps', () => {
    assert.equal(totpAt(RFC_SECRET, at(59)), '287082');
    for (const [seconds, code] of RFC_SHA1_VECTORS) {
      assert.equal(totpAt(RFC_SECRET, at(seconds)), code.slice(2), `T=${seconds}`);
    }
  });

  it('generates 160-bit base32 secrets whose codes match an independent HOTP', () => {
    const secrets = new Set(Array.from({ length: 20 }, () => generateTotpSecret()));
    assert.equal(secrets.size, 20);
    for (const secret of secrets) {
      assert.match(secret, /^[A-Z2-7]{32}$/);
      const key = base32Decode(secret);
      assert.equal(key.length, 20);
      const now = new Date('2026-11-23T12:00:10Z');
      assert.equal(totpAt(secret, now), referenceCode(key, totpStep(now), 6));
    }
  });

  it('builds an otpauth URI an authenticator app can read', () => {
    const secret = generateTotpSecret();
    const uri = new URL(totpUri({ secret, account: 'ana@example.com', issuer: 'Kith' }));
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.host, 'totp');
    assert.equal(decodeURIComponent(uri.pathname), '/Kith:ana@example.com');
    assert.equal(uri.searchParams.get('secret'), secret);
    assert.equal(uri.searchParams.get('issuer'), 'Kith');
    assert.equal(uri.searchParams.get('algorithm') ?? 'SHA1', 'SHA1');
    assert.equal(uri.searchParams.get('digits') ?? '6', '6');
    assert.equal(uri.searchParams.get('period') ?? '30', '30');
  });
});

describe('verifyTotp', () => {
  const secret = generateTotpSecret();
  const now = new Date('2026-11-23T12:00:10Z');
  const step = totpStep(now);
  const codeAt = (offsetSteps: number) =>
    totpAt(secret, new Date(now.getTime() + offsetSteps * 30_000));

  it('accepts the current code and returns its step', () => {
    assert.deepEqual(verifyTotp({ secret, code: codeAt(0), at: now, lastUsedStep: null }), {
      ok: true,
      step,
    });
  });

  it('accepts codes one step early or late, with the step they belong to', () => {
    for (const offset of [-1, 1]) {
      assert.deepEqual(
        verifyTotp({ secret, code: codeAt(offset), at: now, lastUsedStep: null }),
        { ok: true, step: step + offset },
        `offset ${offset}`,
      );
    }
  });

  it('rejects codes two or more steps away', () => {
    for (const offset of [-3, -2, 2, 3]) {
      const code = codeAt(offset);
      // A code can coincide with a neighbour's by chance (1 in 10^6); such a code is valid.
      if ([-1, 0, 1].some((near) => codeAt(near) === code)) continue;
      assert.deepEqual(verifyTotp({ secret, code, at: now, lastUsedStep: null }), { ok: false });
    }
  });

  it('rejects a replay of the step it just accepted, even in the same 30 seconds', () => {
    const first = verifyTotp({ secret, code: codeAt(0), at: now, lastUsedStep: null });
    assert.ok(first.ok);
    const later = new Date(now.getTime() + 5_000);
    assert.deepEqual(verifyTotp({ secret, code: codeAt(0), at: later, lastUsedStep: first.step }), {
      ok: false,
    });
    // An older code inside the window is no way around the guard either.
    assert.deepEqual(
      verifyTotp({ secret, code: codeAt(-1), at: later, lastUsedStep: first.step }),
      { ok: false },
    );
  });

  it('accepts the next step after a use', () => {
    const next = new Date(now.getTime() + 30_000);
    assert.deepEqual(verifyTotp({ secret, code: codeAt(1), at: next, lastUsedStep: step }), {
      ok: true,
      step: step + 1,
    });
    // A code from the future window is fine too, and is then the step to store.
    assert.deepEqual(verifyTotp({ secret, code: codeAt(1), at: now, lastUsedStep: step }), {
      ok: true,
      step: step + 1,
    });
  });

  it('rejects everything when the stored step is at or past the window, without throwing', () => {
    for (const lastUsedStep of [step + 1, step + 1000]) {
      for (const offset of [-1, 0, 1]) {
        assert.deepEqual(verifyTotp({ secret, code: codeAt(offset), at: now, lastUsedStep }), {
          ok: false,
        });
      }
    }
  });

  it('treats malformed input as a wrong code', () => {
    const code = codeAt(0);
    for (const bad of [
      '',
      code.slice(1),
      `${code}0`,
      ` ${code}`,
      'abcdef',
      '12 456',
      '１２３４５６',
    ]) {
      assert.deepEqual(verifyTotp({ secret, code: bad, at: now, lastUsedStep: null }), {
        ok: false,
      });
    }
  });

  it('checks the RFC secret at T=59 with 6 digits', () => {
    assert.deepEqual(
      verifyTotp({ secret: RFC_SECRET, code: '287082', at: at(59), lastUsedStep: null }),
      { ok: true, step: 1 },
    );
    assert.deepEqual(
      verifyTotp({ secret: RFC_SECRET, code: '287082', at: at(59), lastUsedStep: 1 }),
      { ok: false },
    );
  });
});
