import { describe, expect, it } from 'vitest';
import { message } from './fixtures.js';
import { isImage, mergeMessages, quotedIn, recallable, RECALL_WINDOW_MS, windowOf } from './messages.js';

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

describe('windowOf', () => {
  it('renders the newest WINDOW when not scrolled up', () => {
    expect(windowOf(500, 0, 200)).toEqual({ start: 300, end: 500 });
  });
  it('drops the newest as the reader scrolls up', () => {
    expect(windowOf(500, 100, 200)).toEqual({ start: 200, end: 400 });
  });
  it('stays within what is loaded', () => {
    expect(windowOf(50, 0, 200)).toEqual({ start: 0, end: 50 });
    expect(windowOf(50, 80, 200)).toEqual({ start: 0, end: 0 });
    expect(windowOf(50, -3, 200)).toEqual({ start: 0, end: 50 });
  });
});

describe('quotedIn', () => {
  it('finds the quoted message among the loaded ones', () => {
    const list = [message(1), message(2)];
    expect(quotedIn(list, message(3, { body: { text: 're', mentions: [], attachments: [], quote_msg_id: 'm1' } }))).toBe(list[0]);
  });
  it('is undefined for no quote or one not loaded', () => {
    expect(quotedIn([message(1)], message(2))).toBeUndefined();
    expect(quotedIn([message(1)], message(3, { body: { mentions: [], attachments: [], quote_msg_id: 'm0' } }))).toBeUndefined();
  });
});

describe('recallable', () => {
  const mine = message(1, { from: 'u_li' });
  it('is one’s own message within the window', () => {
    expect(recallable(mine, 'u_li', mine.ts + 1000)).toBe(true);
  });
  it('is not someone else’s, a recalled one, or one past the window', () => {
    expect(recallable(mine, 'u_zhang', mine.ts + 1000)).toBe(false);
    expect(recallable({ ...mine, recalled: true }, 'u_li', mine.ts + 1000)).toBe(false);
    expect(recallable(mine, 'u_li', mine.ts + RECALL_WINDOW_MS)).toBe(false);
  });
});

describe('isImage', () => {
  it('knows pictures a browser shows, not other files', () => {
    expect(isImage('image/png')).toBe(true);
    expect(isImage('image/JPEG')).toBe(true);
    expect(isImage('image/svg+xml')).toBe(false);
    expect(isImage('application/pdf')).toBe(false);
  });
});
