import { describe, expect, it } from 'vitest';
import { Batcher, Lru } from './batching.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('Batcher', () => {
  it('sends what one turn of the event loop adds in one call, and answers each item with its result', async () => {
    const calls: number[][] = [];
    const batcher = new Batcher(async (items: number[]) => {
      calls.push(items);
      return items.map((n) => n * 2);
    });
    const results = await Promise.all([1, 2, 3].map((n) => batcher.add(n)));
    expect(results).toEqual([2, 4, 6]);
    expect(calls).toEqual([[1, 2, 3]]);
  });

  it('gathers what arrives while a call is in flight into the next one, cut at maxSize', async () => {
    const calls: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const batcher = new Batcher(async (items: number[]) => {
      calls.push(items);
      if (calls.length === 1) await gate;
      return items;
    }, 2);
    const first = batcher.add(0);
    await tick();
    const rest = [1, 2, 3].map((n) => batcher.add(n));
    await tick();
    expect(calls).toEqual([[0]]);
    release();
    await Promise.all([first, ...rest]);
    expect(calls).toEqual([[0], [1, 2], [3]]);
  });

  it('fails every item of a call that throws, and goes on with the next', async () => {
    let fail = true;
    const batcher = new Batcher(async (items: number[]) => {
      if (fail) throw new Error('down');
      return items;
    });
    const failed = [batcher.add(1), batcher.add(2)];
    await expect(Promise.all(failed)).rejects.toThrow('down');
    await Promise.allSettled(failed);
    fail = false;
    expect(await batcher.add(3)).toBe(3);
  });
});

describe('Lru', () => {
  it('forgets the least recently used entry beyond its capacity', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1);
    lru.set('c', 3);
    expect([lru.get('a'), lru.get('b'), lru.get('c')]).toEqual([1, undefined, 3]);
  });
});
