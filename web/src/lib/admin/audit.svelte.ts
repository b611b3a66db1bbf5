import type { AdminPayload, AuditEntry } from '$schemas';
import * as m from '$lib/paraglide/messages';
import { errorText, type Session } from '../session.svelte';
import { auditQuery, exportSearch, type AuditFilters } from './audit-query';
import { check } from './forms';

const PAGE = 50;

/**
 * The audit log, read only: newest first, a page at a time (admin.audit.query), and the same
 * selection as a file (admin.audit.export, through the app's server: a file may be larger than
 * the broker lets one message be).
 */
export class AuditLog {
  filters = $state<AuditFilters>({ actor: '', op: '', target: '', from: '', to: '', kind: 'changes' });
  /** Each filter's problem, as the gateway's schema sees it, in the reader's language. */
  problems = $state<Record<string, string>>({});
  entries = $state<AuditEntry[]>([]);
  hasMore = $state(false);
  loading = $state(false);
  loaded = $state(false);
  error = $state<string | null>(null);
  exporting = $state(false);

  readonly #session: Session;
  #ticket = 0;

  constructor(session: Session) {
    this.#session = session;
  }

  #query(): AdminPayload<'admin.audit.query'> | undefined {
    const checked = check('admin.audit.query', { ...auditQuery(this.filters), limit: PAGE });
    this.problems = checked.ok ? {} : checked.errors;
    if (checked.ok && checked.payload.since !== undefined && checked.payload.until !== undefined && checked.payload.since > checked.payload.until) {
      this.problems = { until: m.audit_range_backwards() };
      return undefined;
    }
    return checked.ok ? checked.payload : undefined;
  }

  async load(): Promise<void> {
    const query = this.#query();
    if (!query) return;
    await this.#page(query, false);
  }

  async more(): Promise<void> {
    const query = this.#query();
    const last = this.entries.at(-1);
    if (!query || !last || !this.hasMore) return;
    await this.#page({ ...query, before_id: last.audit_id }, true);
  }

  async #page(query: AdminPayload<'admin.audit.query'>, append: boolean): Promise<void> {
    const ticket = ++this.#ticket;
    this.loading = true;
    try {
      const page = await this.#session.request('admin.audit.query', query, { retry: true });
      if (ticket !== this.#ticket) return;
      this.entries = append ? [...this.entries, ...page.entries] : page.entries;
      this.hasMore = page.has_more;
      this.error = null;
      this.loaded = true;
    } catch (err) {
      if (ticket === this.#ticket) this.error = errorText(err);
    } finally {
      if (ticket === this.#ticket) this.loading = false;
    }
  }

  /** Downloads the selection as a file; why it could not is shown as the log's error. */
  async download(format: 'csv' | 'ndjson'): Promise<void> {
    const query = this.#query();
    if (!query || this.exporting) return;
    this.exporting = true;
    try {
      const res = await fetch(`/api/admin/audit/export?${exportSearch(query, format)}`);
      if (!res.ok) {
        const body = (await res.json().catch(() => undefined)) as { error?: unknown } | undefined;
        this.error = errorText(body?.error ?? { code: 'E_INTERNAL', message: `HTTP ${res.status}` });
        return;
      }
      const url = URL.createObjectURL(await res.blob());
      const link = Object.assign(document.createElement('a'), { href: url, download: `mchat-audit.${format}` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.exporting = false;
    }
  }
}
