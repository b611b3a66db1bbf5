import type { Message } from '../../../schemas/index.js';

/** One line that stands for the message in the conversation list. */
export function preview(msg: Message): string {
  if (msg.recalled) return 'Message recalled';
  const text = msg.body.text?.trim();
  if (text) return text.replace(/\s+/g, ' ');
  if (msg.body.card) return `▦ ${msg.body.card.title}`;
  const [first, ...rest] = msg.body.attachments;
  if (first) return `📎 ${first.name}${rest.length ? ` +${rest.length}` : ''}`;
  return '';
}

/** Clock time for today, otherwise a short date, in the reader's locale. */
export function formatTime(ts: number, now = Date.now(), locale?: string): string {
  const d = new Date(ts);
  const sameDay = new Date(now).toDateString() === d.toDateString();
  return sameDay
    ? d.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString(locale, { day: 'numeric', month: 'short' });
}
