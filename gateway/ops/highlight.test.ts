import { describe, expect, it } from 'vitest';
import { highlight, literalPattern } from './highlight.js';

describe('literalPattern', () => {
  it.each(['a.*b', '(x)', '[1]', 'a+b?', '^$', 'a|b', '{2}', 'c:\\path', '退款'])('matches %j literally and nothing else', (q) => {
    const re = new RegExp(literalPattern(q));
    expect(re.test(`before ${q} after`)).toBe(true);
    if (q !== '退款') expect(re.test(q.replace(/[^\w退款]/g, 'x'))).toBe(false);
  });
});

describe('highlight', () => {
  it('marks every match of a short text, case-insensitively', () => {
    expect(highlight('Refund? refund!', 'REFUND')).toEqual({ snippet: 'Refund? refund!', matches: [{ start: 0, end: 6 }, { start: 8, end: 14 }] });
  });

  it('finds Chinese inside a word', () => {
    expect(highlight('我要退款', '退款')).toEqual({ snippet: '我要退款', matches: [{ start: 2, end: 4 }] });
  });

  it('cuts a long text around the first match, with the offsets in the snippet', () => {
    const text = `${'a'.repeat(100)}NEEDLE${'b'.repeat(100)}`;
    const { snippet, matches } = highlight(text, 'needle');
    expect(snippet).toBe(`…${'a'.repeat(40)}NEEDLE${'b'.repeat(40)}…`);
    expect(matches).toEqual([{ start: 41, end: 47 }]);
  });

  it('keeps only the matches inside the snippet', () => {
    const text = `x${'a'.repeat(30)}x${'b'.repeat(200)}x`;
    const { snippet, matches } = highlight(text, 'x');
    expect(snippet.startsWith('x')).toBe(true);
    expect(matches.map((m) => snippet.slice(m.start, m.end))).toEqual(['x', 'x']);
  });
});
