/** One line of the results table: a gateway figure next to its raw-broker baseline. */
export interface Row {
  bench: string;
  metric: string;
  gateway: string;
  raw: string;
  note?: string;
}

/** A goal from the issue and whether this run met it. */
export interface Goal {
  goal: string;
  met: boolean;
  measured: string;
}

export interface BenchResult {
  rows: Row[];
  goals?: Goal[];
  /** Things worth knowing about how the figures came about (sizes cut, bottlenecks seen). */
  notes?: string[];
}

/** A plain-text table, columns padded to fit, for a terminal and for pasting into the README. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
