import assert from 'node:assert/strict';
import { test } from 'vitest';
import { NotFoundError } from '@kith/errors';
import { defineAccess } from './access.js';

// A toy domain: circles with members, one of them blocked from reading by a ban.
const members = new Map([
  ['c1', new Set(['ann', 'bob'])],
  ['c2', new Set(['ann'])],
]);
const calls: string[][] = [];
const access = defineAccess<{ userId: string }, 'circle.read' | 'circle.admin'>({
  'circle.read': async (caller, ids) => {
    calls.push([...ids]);
    return ids.filter((id) => members.get(id)?.has(caller.userId));
  },
  'circle.admin': async (caller, ids) => ids.filter((id) => id === 'c1' && caller.userId === 'ann'),
});

test('require passes only when every id is allowed, and refuses with NotFound otherwise', async () => {
  await access.require({ userId: 'ann' }, 'circle.read', ['c1', 'c2']);
  await access.require({ userId: 'bob' }, 'circle.read', 'c1');
  await assert.rejects(
    access.require({ userId: 'bob' }, 'circle.read', ['c1', 'c2']),
    NotFoundError,
  );
  await assert.rejects(access.require({ userId: 'bob' }, 'circle.admin', 'c1'), NotFoundError);
  // An id that does not exist and one the caller may not see answer the same.
  const refusal = (id: string, noun?: string) =>
    access.require({ userId: 'bob' }, 'circle.read', id, noun).then(
      () => assert.fail('allowed'),
      (e: Error) => [e.constructor, e.message],
    );
  assert.deepEqual(await refusal('c2'), await refusal('nope'));
  assert.deepEqual(await refusal('c2', 'circle'), [NotFoundError, 'circle not found']);
});

test('require with no ids refuses: an empty check must not read as allowed', async () => {
  await assert.rejects(access.require({ userId: 'ann' }, 'circle.read', []), NotFoundError);
});

test('filter keeps the allowed ids in the order given and checks each id once, in one call', async () => {
  calls.length = 0;
  const ids = ['c2', 'x', 'c1', 'c2'];
  assert.deepEqual(await access.filter({ userId: 'ann' }, 'circle.read', ids), ['c2', 'c1', 'c2']);
  assert.deepEqual(calls, [['c2', 'x', 'c1']]);
  assert.deepEqual(await access.filter({ userId: 'bob' }, 'circle.read', ids), ['c1']);
});
