import { describe, expect, it } from 'vitest';
import { message } from './fixtures.js';
import { formatCount, formatDateTime, formatDuration, formatSize, formatTime, preview } from './format.js';

describe('preview', () => {
  it('shows text on one line', () => {
    expect(preview(message(1, { body: { text: '  line one\n\nline two ', mentions: [], attachments: [] } }), 'recalled')).toBe('line one line two');
  });

  it('falls back to the card title, then the attachments', () => {
    const card = { title: 'Quote Q-17', fields: [], actions: [] };
    const file = { name: 'deck.pdf', size: 1, type: 'application/pdf', sha256: 'a'.repeat(64) };
    expect(preview(message(1, { kind: 'card', body: { mentions: [], attachments: [], card } }), 'recalled')).toBe('▦ Quote Q-17');
    expect(preview(message(1, { kind: 'file', body: { mentions: [], attachments: [file, file] } }), 'recalled')).toBe('📎 deck.pdf +1');
  });

  it('hides the content of a recalled message behind the given words', () => {
    expect(preview(message(1, { recalled: true }), '消息已撤回')).toBe('消息已撤回');
  });
});

describe('formatTime', () => {
  const now = new Date(2025, 5, 15, 18, 0).getTime();

  it('shows the clock time today and the date before', () => {
    expect(formatTime(new Date(2025, 5, 15, 9, 5).getTime(), 'en-GB', now)).toBe('09:05');
    expect(formatTime(new Date(2025, 5, 14, 9, 5).getTime(), 'en-GB', now)).toBe('14 Jun');
  });

  it('writes the date the Chinese way for zh-CN', () => {
    expect(formatTime(new Date(2025, 5, 14, 9, 5).getTime(), 'zh-CN', now)).toBe('6月14日');
    expect(formatTime(new Date(2025, 5, 15, 21, 30).getTime(), 'zh-CN', now)).toBe('21:30');
  });
});

describe('formatDateTime', () => {
  it('gives the day and the time', () => {
    expect(formatDateTime(new Date(2025, 5, 14, 9, 5).getTime(), 'en-GB')).toBe('14 Jun, 09:05');
    expect(formatDateTime(new Date(2025, 5, 14, 9, 5).getTime(), 'zh-CN')).toBe('6月14日 09:05');
  });
});

describe('formatSize and formatCount', () => {
  it('round sizes up to whole kilobytes, never to zero', () => {
    expect(formatSize(1, 'en')).toBe('1 kB');
    expect(formatSize(1_000_000, 'en')).toBe('977 kB');
    expect(formatSize(2_000_000, 'en')).toBe('1.9 MB');
    expect(formatSize(25 * 1024 * 1024, 'zh-CN')).toBe('25 MB');
  });

  it('cap badge counts at 99+', () => {
    expect(formatCount(7, 'zh-CN')).toBe('7');
    expect(formatCount(1234, 'en')).toBe('99+');
  });
});

describe('formatDuration', () => {
  it('picks the unit that keeps a duration readable', () => {
    expect(formatDuration(850, 'en')).toBe('850 ms');
    expect(formatDuration(12_340, 'en')).toBe('12.3 sec');
    expect(formatDuration(14 * 60_000 + 5_000, 'en')).toBe('14 min');
    expect(formatDuration(5 * 3_600_000, 'en')).toBe('5 hr');
    expect(formatDuration(3 * 86_400_000, 'zh-CN')).toBe('3天');
  });
});
