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

export interface SeqGap {
  /** First missing seq. */
  from: number;
  /** Last missing seq. */
  to: number;
}

/**
 * Seqs missing between the first and the last loaded message of an ascending list. The server
 * numbers each conversation 1, 2, 3… without holes, so any hole here is a message we missed.
 */
export function seqGaps(messages: readonly Message[]): SeqGap[] {
  const gaps: SeqGap[] = [];
  for (let i = 1; i < messages.length; i++) {
    const prev = messages[i - 1]!.seq;
    const next = messages[i]!.seq;
    if (next > prev + 1) gaps.push({ from: prev + 1, to: next - 1 });
  }
  return gaps;
}
