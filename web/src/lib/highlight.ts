/** One piece of a search snippet, marked where the query matched. */
export interface Segment {
  text: string;
  match: boolean;
}

/**
 * `snippet` cut into plain and matched pieces by `matches` (UTF-16 ranges, as the gateway gives
 * them); ranges out of order, overlapping or past the end are clipped rather than trusted.
 */
export function segments(snippet: string, matches: { start: number; end: number }[]): Segment[] {
  const out: Segment[] = [];
  let at = 0;
  for (const { start, end } of [...matches].sort((a, b) => a.start - b.start)) {
    const s = Math.max(start, at);
    const e = Math.min(end, snippet.length);
    if (e <= s) continue;
    if (s > at) out.push({ text: snippet.slice(at, s), match: false });
    out.push({ text: snippet.slice(s, e), match: true });
    at = e;
  }
  if (at < snippet.length) out.push({ text: snippet.slice(at), match: false });
  return out;
}
