import type { Message, Notice } from '../../../schemas/index.js';

/**
 * One line that stands for the message in the conversation list; `recalled` and a platform
 * notice (`notice`) are said in the reader's language.
 */
export function preview(msg: Message, recalled: string, notice?: (n: Notice) => string): string {
  if (msg.recalled) return recalled;
  const text = (msg.body.notice && notice ? notice(msg.body.notice) : msg.body.text)?.trim();
  if (text) return text.replace(/\s+/g, ' ');
  if (msg.body.card) return `▦ ${msg.body.card.title}`;
  const [first, ...rest] = msg.body.attachments;
  if (first) return `📎 ${first.name}${rest.length ? ` +${rest.length}` : ''}`;
  return '';
}

/** Clock time for today, otherwise a short date, in the reader's locale (a BCP 47 tag). */
export function formatTime(ts: number, locale: string, now = Date.now()): string {
  const d = new Date(ts);
  const sameDay = new Date(now).toDateString() === d.toDateString();
  return sameDay
    ? d.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString(locale, { day: 'numeric', month: 'short' });
}

/** A file's size in kilobytes (at least 1), with the locale's digits and unit. */
export function formatSize(bytes: number, locale: string): string {
  if (bytes >= 1024 * 1024) return new Intl.NumberFormat(locale, { style: 'unit', unit: 'megabyte', maximumFractionDigits: 1 }).format(bytes / (1024 * 1024));
  return new Intl.NumberFormat(locale, { style: 'unit', unit: 'kilobyte', maximumFractionDigits: 0 }).format(Math.max(1, Math.ceil(bytes / 1024)));
}

/** A count for a badge: exact up to 99, then "99+", with the locale's digits. */
export function formatCount(n: number, locale: string): string {
  const format = new Intl.NumberFormat(locale);
  return n > 99 ? `${format.format(99)}+` : format.format(n);
}

/** Date and clock time, for a moment that may be days away (an approval's deadline). */
export function formatDateTime(ts: number, locale: string): string {
  return new Date(ts).toLocaleString(locale, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** A duration in the largest unit that keeps it readable ("850 ms", "12.3 s", "14 min", "5 h", "3 d"), in the reader's locale. */
export function formatDuration(ms: number, locale: string): string {
  const steps: [number, Intl.NumberFormatOptions['unit'], number][] = [
    [1_000, 'millisecond', 0], [60_000, 'second', 1], [3_600_000, 'minute', 0], [86_400_000, 'hour', 0], [Infinity, 'day', 0],
  ];
  const per = { millisecond: 1, second: 1_000, minute: 60_000, hour: 3_600_000, day: 86_400_000 } as Record<string, number>;
  const [, unit, digits] = steps.find(([below]) => ms < below)!;
  return new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: digits }).format(ms / per[unit!]!);
}
