/** `q` as a regular expression matching itself literally, in JavaScript, MongoDB (PCRE) and FerretDB (Go RE2) alike. */
export function literalPattern(q: string): string {
  return q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface Highlight {
  snippet: string;
  matches: { start: number; end: number }[];
}

/** How much text is kept on each side of the first match when the text is cut. */
const CONTEXT = 40;
/** Texts up to this long are given whole. */
const WHOLE = 2 * CONTEXT + 40;

/**
 * Where `q` is in `text` (case-insensitive), within a snippet around its first occurrence:
 * the whole text when short, else `…` + context + match + context + `…`.
 */
export function highlight(text: string, q: string): Highlight {
  const found = [...text.matchAll(new RegExp(literalPattern(q), 'gi'))].map((m) => ({ start: m.index, end: m.index + m[0].length }));
  if (text.length <= WHOLE || found.length === 0) return { snippet: text.length <= WHOLE ? text : `${text.slice(0, WHOLE)}…`, matches: found };
  const first = found[0]!;
  const from = Math.max(0, first.start - CONTEXT);
  const to = Math.min(text.length, first.end + CONTEXT);
  const lead = from > 0 ? '…' : '';
  const snippet = `${lead}${text.slice(from, to)}${to < text.length ? '…' : ''}`;
  const matches = found
    .filter((m) => m.start >= from && m.end <= to)
    .map((m) => ({ start: m.start - from + lead.length, end: m.end - from + lead.length }));
  return { snippet, matches };
}
