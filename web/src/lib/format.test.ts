import { describe, expect, it } from 'vitest';
import { message } from './fixtures.js';
import { formatTime, preview } from './format.js';

describe('preview', () => {
  it('shows text on one line', () => {
    expect(preview(message(1, { body: { text: '  line one\n\nline two ', mentions: [], attachments: [] } }))).toBe('line one line two');
  });

  it('falls back to the card title, then the attachments', () => {
    const card = { title: 'Quote Q-17', fields: [], actions: [] };
    const file = { name: 'deck.pdf', size: 1, type: 'application/pdf', sha256: 'a'.repeat(64) };
    expect(preview(message(1, { kind: 'card', body: { mentions: [], attachments: [], card } }))).toBe('▦ Quote Q-17');
    expect(preview(message(1, { kind: 'file', body: { mentions: [], attachments: [file, file] } }))).toBe('📎 deck.pdf +1');
  });

  it('hides the content of a recalled message', () => {
    expect(preview(message(1, { recalled: true }))).toBe('Message recalled');
  });
});

describe('formatTime', () => {
  const now = new Date(2025, 5, 15, 18, 0).getTime();

  it('shows the clock time today and the date before', () => {
    expect(formatTime(new Date(2025, 5, 15, 9, 5).getTime(), now, 'en-GB')).toBe('09:05');
    expect(formatTime(new Date(2025, 5, 14, 9, 5).getTime(), now, 'en-GB')).toBe('14 Jun');
  });
});
