import { describe, expect, it } from 'vitest';
import { message } from './fixtures.js';
import { lastOwn, newestSeq, readCountAt } from './read-state.js';

describe('readCountAt', () => {
  it('takes the nearest receipt at or after the message', () => {
    expect(readCountAt({ 3: 5, 7: 2, 9: 1 }, 4)).toBe(2);
    expect(readCountAt({ 3: 5, 7: 2 }, 3)).toBe(5);
  });
  it('is undefined when every receipt is older than the message', () => {
    expect(readCountAt({ 3: 5 }, 4)).toBeUndefined();
    expect(readCountAt({}, 1)).toBeUndefined();
  });
});

describe('newestSeq and lastOwn', () => {
  const list = [message(1, { from: 'u_li' }), message(2, { from: 'u_zhang' }), message(3, { from: 'u_li', recalled: true })];
  it('newestSeq is the highest seq, 0 for none', () => {
    expect(newestSeq(list)).toBe(3);
    expect(newestSeq([])).toBe(0);
  });
  it('lastOwn skips others’ and recalled messages', () => {
    expect(lastOwn(list, 'u_li')?.seq).toBe(1);
    expect(lastOwn(list, 'u_wang')).toBeUndefined();
  });
});
