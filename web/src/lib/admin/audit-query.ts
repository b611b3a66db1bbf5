/** The audit log's filters, from the form to the query and the export's address. */

/** The filters as the form holds them: days are `yyyy-mm-dd` in the reader's time zone, empty for open. */
export interface AuditFilters {
  actor: string;
  op: string;
  target: string;
  from: string;
  to: string;
  kind: 'all' | 'changes' | 'reads';
}

/** Midnight at the start of a `yyyy-mm-dd` day where the reader is (`days` later). */
function dayStart(day: string, days = 0): number | undefined {
  const [y, m, d] = day.split('-').map(Number);
  if (!y || !m || !d) return undefined;
  return new Date(y, m - 1, d + days).getTime();
}

/** The filters as `admin.audit.query` takes them: the "to" day is included whole. */
export function auditQuery(f: AuditFilters): Record<string, unknown> {
  const since = f.from ? dayStart(f.from) : undefined;
  const end = f.to ? dayStart(f.to, 1) : undefined;
  const text = (s: string) => s.trim() || undefined;
  return {
    actor: text(f.actor), op: text(f.op), target: text(f.target), kind: f.kind,
    ...(since === undefined ? {} : { since }), ...(end === undefined ? {} : { until: end - 1 }),
  };
}

/** The export's query string: the same selection, as a file of `format`. */
export function exportSearch(query: Record<string, unknown>, format: 'csv' | 'ndjson'): string {
  const fields = Object.entries(query).filter(([k, v]) => v !== undefined && k !== 'limit' && k !== 'before_id').map(([k, v]) => [k, String(v)]);
  return new URLSearchParams([['format', format], ...fields]).toString();
}
