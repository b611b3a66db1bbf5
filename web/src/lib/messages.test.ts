import { describe, expect, it } from 'vitest';
import { message } from './fixtures.js';
import { mergeMessages } from './messages.js';

const seqs = (list: { seq: number }[]) => list.map((m) => m.seq);

describe('mergeMessages', () => {
  it('orders by seq whatever order pages and events arrive in', () => {
    const merged = mergeMessages([message(4), message(5)], [message(7), message(1), message(6)]);
    expect(seqs(merged)).toEqual([1, 4, 5, 6, 7]);
  });

  it('keeps one message per seq, the copy seen last', () => {
    const recalled = message(2, { recalled: true });
    const merged = mergeMessages([message(1), message(2), message(3)], [recalled, message(3)]);
    expect(seqs(merged)).toEqual([1, 2, 3]);
    expect(merged[1]).toBe(recalled);
  });

  it('leaves its inputs alone', () => {
    const current = [message(2)];
    mergeMessages(current, [message(1)]);
    expect(seqs(current)).toEqual([2]);
  });
});
