import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, test } from 'vitest';
import { createPageTokenCodec, InvalidPageTokenError, type PageCursor } from './page-token.js';
import { normalizePageSize, toPage } from './pagination.js';

const secret = crypto.randomBytes(32);
const binding = 'kith.post.v1.PostService/ListPosts|author=u1|caller=u2';
const cursor: PageCursor = {
  keys: [new Date('2026-01-01T00:00:00.123Z'), 42, 'x'],
  id: '0190a6b4-0000-7000-8000-000000000001',
};

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InvalidPageTokenError);
    assert.equal(err.field, 'page_token');
    assert.equal(err.message, 'invalid page token', 'client-safe message');
    return err.reason;
  }
  assert.fail('expected InvalidPageTokenError');
}

describe('page tokens', () => {
  const codec = createPageTokenCodec(secret);

  test('round-trips a cursor, Dates included, as an opaque URL-safe string', () => {
    const token = codec.encode(cursor, binding);
    assert.match(token, /^[A-Za-z0-9_-]+$/);
    assert.ok(!token.includes('2026'), 'opaque: no readable payload');
    assert.deepEqual(codec.decode(token, binding), cursor);
  });

  test('a token replayed against another query or caller is rejected', () => {
    const token = codec.encode(cursor, binding);
    assert.equal(
      reason(() => codec.decode(token, binding.replace('caller=u2', 'caller=u3'))),
      'tampered',
    );
    assert.equal(
      reason(() => codec.decode(token, '')),
      'tampered',
    );
  });

  test('every single-character change is rejected', () => {
    const token = codec.encode(cursor, binding);
    for (let i = 0; i < token.length; i++) {
      const swapped = token[i] === 'A' ? 'B' : 'A';
      const changed = token.slice(0, i) + swapped + token.slice(i + 1);
      if (changed === token) continue;
      assert.throws(() => codec.decode(changed, binding), InvalidPageTokenError, `position ${i}`);
    }
  });

  test('only the canonical encoding decodes: no other last character is accepted', () => {
    // The last base64url character can carry unused bits; a lenient decoder would accept
    // several spellings of one token.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let n = 0; n < 8; n++) {
      const token = codec.encode({ ...cursor, id: `${cursor.id}-${n}` }, binding);
      const head = token.slice(0, -1);
      for (const last of alphabet) {
        if (last === token.at(-1)) continue;
        assert.throws(() => codec.decode(head + last, binding), InvalidPageTokenError, last);
      }
    }
  });

  test('malformed and foreign tokens are rejected', () => {
    assert.equal(
      reason(() => codec.decode('', binding)),
      'malformed',
    );
    assert.equal(
      reason(() => codec.decode('not a token!', binding)),
      'malformed',
    );
    assert.equal(
      reason(() => codec.decode('abc', binding)),
      'malformed',
    );
    assert.equal(
      reason(() => codec.decode('A'.repeat(5000), binding)),
      'malformed',
    );
    const foreign = createPageTokenCodec(crypto.randomBytes(32)).encode(cursor, binding);
    assert.equal(
      reason(() => codec.decode(foreign, binding)),
      'tampered',
    );
  });

  test('rotation: the first secret signs, older secrets still verify', () => {
    const next = crypto.randomBytes(32);
    const old = codec.encode(cursor, binding);
    const rotated = createPageTokenCodec([next, secret]);
    assert.deepEqual(rotated.decode(old, binding), cursor);
    const fresh = rotated.encode(cursor, binding);
    assert.throws(() => codec.decode(fresh, binding), InvalidPageTokenError);
  });

  test('short secrets are refused at construction', () => {
    assert.throws(() => createPageTokenCodec('too short'), /at least 32 bytes/);
  });
});

describe('page sizes and pages', () => {
  test('normalizePageSize: 0 means 20, above 100 is clamped', () => {
    assert.equal(normalizePageSize(0), 20);
    assert.equal(normalizePageSize(undefined), 20);
    assert.equal(normalizePageSize(-5), 20);
    assert.equal(normalizePageSize(7), 7);
    assert.equal(normalizePageSize(100), 100);
    assert.equal(normalizePageSize(1000), 100);
  });

  test('toPage keeps pageSize items and gives a cursor only when more rows follow', () => {
    const rows = [1, 2, 3].map((n) => ({ id: `id${n}`, n }));
    const cursorOf = (r: { id: string; n: number }) => ({ keys: [r.n], id: r.id });
    assert.deepEqual(toPage(rows, 2, cursorOf), {
      items: rows.slice(0, 2),
      nextCursor: { keys: [2], id: 'id2' },
    });
    assert.deepEqual(toPage(rows.slice(0, 2), 2, cursorOf), { items: rows.slice(0, 2) });
    assert.deepEqual(toPage([], 2, cursorOf), { items: [] });
  });
});
