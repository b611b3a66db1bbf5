import type { Message } from '../../../schemas/index.js';

/**
 * Both lists as one, ascending by seq, one message per seq. A message seen again replaces the
 * copy we had, since the later copy may carry news (a recall).
 */
export function mergeMessages(current: readonly Message[], incoming: readonly Message[]): Message[] {
  const bySeq = new Map(current.map((m) => [m.seq, m]));
  for (const m of incoming) bySeq.set(m.seq, m);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** The most messages a conversation renders at once, so a long one keeps the page light. */
export const WINDOW = 200;

/**
 * The slice of `total` loaded messages to render: `WINDOW` of them, ending `skip` before the
 * newest. Scrolling up grows `skip` (the newest drop out), scrolling back down shrinks it.
 */
export function windowOf(total: number, skip: number, size = WINDOW): { start: number; end: number } {
  const end = Math.max(0, total - Math.max(0, Math.min(skip, total)));
  return { start: Math.max(0, end - size), end };
}

/** The message `msg` quotes, when it is loaded, else undefined (quoted before the loaded history). */
export function quotedIn(messages: readonly Message[], msg: Message): Message | undefined {
  const id = msg.body.quote_msg_id;
  return id ? messages.find((m) => m.msg_id === id) : undefined;
}

/** Whether `msg` is still `me`'s to recall at `now`: their own, not recalled, within the gateway's window. */
export function recallable(msg: Message, me: string, now: number, windowMs = RECALL_WINDOW_MS): boolean {
  return msg.from === me && !msg.recalled && msg.kind !== 'system' && now - msg.ts < windowMs;
}

/** The gateway's default `MCHAT_RECALL_WINDOW_MS`: later, the gateway refuses, and the action is not offered. */
export const RECALL_WINDOW_MS = 2 * 60_000;

/** Whether an attachment can be shown as a picture inline. */
export const isImage = (type: string): boolean => /^image\/(png|jpe?g|gif|webp|avif|bmp)$/i.test(type);
