import type { Message } from '../../../schemas/index.js';

/** How far one's own message has been read: by a direct chat's peer, or by how many of a group. */
export type Receipt = { kind: 'direct'; read: boolean } | { kind: 'group'; count: number | undefined };

/**
 * The most a group's readers are known to number for the message at `seq`: whoever read up to a
 * later seq read this one too, so the nearest aggregate receipt at or after it is a lower bound.
 * `counts` maps a receipt's seq to its `read_count`; undefined when no receipt covers `seq`.
 */
export function readCountAt(counts: Readonly<Record<number, number>>, seq: number): number | undefined {
  let best: { seq: number; count: number } | undefined;
  for (const [key, count] of Object.entries(counts)) {
    const at = Number(key);
    if (at >= seq && (!best || at < best.seq || (at === best.seq && count > best.count))) best = { seq: at, count };
  }
  return best?.count;
}

/** The highest seq loaded: what having seen the conversation marks read. */
export function newestSeq(messages: readonly Message[]): number {
  return messages.reduce((max, m) => Math.max(max, m.seq), 0);
}

/** The newest of `me`'s own messages, whose read state stands for the ones before it. */
export function lastOwn(messages: readonly Message[], me: string): Message | undefined {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.from === me && !messages[i]!.recalled) return messages[i];
  return undefined;
}
