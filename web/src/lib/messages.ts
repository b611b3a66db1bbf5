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
