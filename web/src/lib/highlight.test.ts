import { describe, expect, it } from 'vitest';
import { segments } from './highlight';

describe('segments', () => {
  it('marks each match and keeps the text around it', () => {
    expect(segments('查订单 SO-1001 好了', [{ start: 4, end: 11 }])).toEqual([
      { text: '查订单 ', match: false },
      { text: 'SO-1001', match: true },
      { text: ' 好了', match: false },
    ]);
  });
  it('clips overlapping, unordered and out-of-range matches', () => {
    expect(segments('abcdef', [{ start: 4, end: 99 }, { start: 0, end: 2 }, { start: 1, end: 3 }])).toEqual([
      { text: 'ab', match: true },
      { text: 'c', match: true },
      { text: 'd', match: false },
      { text: 'ef', match: true },
    ]);
  });
});
