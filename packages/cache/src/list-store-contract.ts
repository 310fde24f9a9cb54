import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'vitest';
import type { ListStore } from './list-store.js';

export interface ListStoreHarness {
  lists: ListStore;
  /** A TTL this store can be seen to expire in a test. */
  shortTtlMs: number;
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

const LONG = 60_000;

/** The behaviour every ListStore adapter must show. `factory` gives a fresh, empty store. */
export function runListStoreContract(name: string, factory: () => Promise<ListStoreHarness>): void {
  describe(`ListStore contract: ${name}`, () => {
    let h: ListStoreHarness;
    beforeEach(async () => {
      h = await factory();
    });
    afterEach(async () => {
      await h.close();
    });

    it('a push never starts a list: a missing list stays missing (not cached, not empty)', async () => {
      await h.lists.push('tl', ['a'], { cap: 10 });
      assert.equal(await h.lists.read('tl', { ttlMs: LONG }), null);
    });

    it('replace stores in order, push prepends in order, both cut to the cap', async () => {
      await h.lists.replace('tl', ['c', 'd', 'e'], { cap: 4, ttlMs: LONG });
      assert.deepEqual(await h.lists.read('tl', { ttlMs: LONG }), ['c', 'd', 'e']);
      await h.lists.push('tl', ['a', 'b'], { cap: 4 });
      assert.deepEqual(await h.lists.read('tl', { ttlMs: LONG }), ['a', 'b', 'c', 'd']);
      await h.lists.replace('tl', ['1', '2', '3', '4', '5'], { cap: 2, ttlMs: LONG });
      assert.deepEqual(await h.lists.read('tl', { ttlMs: LONG }), ['1', '2']);
    });

    it('replacing with nothing and del both drop the list', async () => {
      await h.lists.replace('tl', ['a'], { cap: 4, ttlMs: LONG });
      await h.lists.replace('tl', [], { cap: 4, ttlMs: LONG });
      assert.equal(await h.lists.read('tl', { ttlMs: LONG }), null);
      await h.lists.replace('tl', ['a'], { cap: 4, ttlMs: LONG });
      await h.lists.del('tl');
      assert.equal(await h.lists.read('tl', { ttlMs: LONG }), null);
    });

    it('a list expires after its time to live, and a read renews it', async () => {
      await h.lists.replace('tl', ['a'], { cap: 4, ttlMs: h.shortTtlMs });
      await h.advance(h.shortTtlMs / 2);
      assert.deepEqual(await h.lists.read('tl', { ttlMs: h.shortTtlMs }), ['a']);
      await h.advance(h.shortTtlMs / 2 + 10);
      assert.deepEqual(
        await h.lists.read('tl', { ttlMs: h.shortTtlMs }),
        ['a'],
        'renewed by the read',
      );
      await h.advance(h.shortTtlMs + 50);
      assert.equal(await h.lists.read('tl', { ttlMs: h.shortTtlMs }), null);
    });

    it('pushEach pushes to every list that exists and starts none', async () => {
      await h.lists.replace('one', ['a'], { cap: 2, ttlMs: LONG });
      await h.lists.replace('two', ['b', 'c'], { cap: 2, ttlMs: LONG });
      await h.lists.pushEach(['one', 'two', 'three'], ['x'], { cap: 2 });
      assert.deepEqual(await h.lists.read('one', { ttlMs: LONG }), ['x', 'a']);
      assert.deepEqual(await h.lists.read('two', { ttlMs: LONG }), ['x', 'b']);
      assert.equal(await h.lists.read('three', { ttlMs: LONG }), null);
    });

    it('lists are kept apart by key', async () => {
      await h.lists.replace('one', ['a'], { cap: 4, ttlMs: LONG });
      await h.lists.replace('two', ['b'], { cap: 4, ttlMs: LONG });
      await h.lists.push('one', ['c'], { cap: 4 });
      assert.deepEqual(await h.lists.read('one', { ttlMs: LONG }), ['c', 'a']);
      assert.deepEqual(await h.lists.read('two', { ttlMs: LONG }), ['b']);
    });
  });
}
