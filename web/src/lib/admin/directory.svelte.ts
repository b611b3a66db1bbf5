import type { AdminEmployee, AdminPayload, OpResult } from '$schemas';
import { errorText, type Session } from '../session.svelte';
import type { Changes } from './forms';

export interface DirectoryFilters {
  q: string;
  kind: 'all' | 'person' | 'agent';
  status: 'all' | 'active' | 'disabled';
  department_id: string;
}

/** A department for a picker: its name, indented by its depth in the tree. */
export interface DepartmentChoice {
  id: string;
  name: string;
  depth: number;
}

/** A failed op: the reader's text and, when the gateway named one, the field at fault (`agent_profile.webhook_endpoint`). */
export interface Refusal {
  text: string;
  field?: string;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; refusal: Refusal };

const PAGE = 50;

function refusalOf(err: unknown): Refusal {
  const field = typeof err === 'object' && err !== null && 'field' in err && typeof err.field === 'string' ? err.field.replace(/^payload\./, '') : undefined;
  return { text: errorText(err), ...(field ? { field } : {}) };
}

type TreeDepartment = OpResult<'org.tree'>['departments'][number];

function flatten(departments: readonly TreeDepartment[], depth = 0): DepartmentChoice[] {
  return departments.flatMap((d) => [{ id: d.id, name: d.name, depth }, ...flatten(d.children, depth + 1)]);
}

/**
 * The admin console's directory: one page of people and agents at a time, as the filters ask
 * (admin.employee.list), and the changes an admin makes to them, each refreshing its row.
 */
export class AdminDirectory {
  filters = $state<DirectoryFilters>({ q: '', kind: 'all', status: 'all', department_id: '' });
  employees = $state<AdminEmployee[]>([]);
  next = $state<string | null>(null);
  loading = $state(false);
  loaded = $state(false);
  error = $state<string | null>(null);
  departments = $state<DepartmentChoice[]>([]);

  readonly #session: Session;
  /** Answers to superseded searches are dropped. */
  #ticket = 0;

  constructor(session: Session) {
    this.#session = session;
  }

  departmentName(id: string | null): string | undefined {
    return id === null ? undefined : (this.departments.find((d) => d.id === id)?.name ?? id);
  }

  #payload(after?: string): AdminPayload<'admin.employee.list'> {
    const { q, kind, status, department_id } = this.filters;
    return { q: q.trim(), kind, status, limit: PAGE, ...(department_id ? { department_id } : {}), ...(after ? { after } : {}) };
  }

  /** The first page for the filters as they are now. */
  async load(): Promise<void> {
    const ticket = ++this.#ticket;
    this.loading = true;
    try {
      const page = await this.#session.request('admin.employee.list', this.#payload(), { retry: true });
      if (ticket !== this.#ticket) return;
      this.employees = page.employees;
      this.next = page.next;
      this.error = null;
      this.loaded = true;
    } catch (err) {
      if (ticket === this.#ticket) this.error = errorText(err);
    } finally {
      if (ticket === this.#ticket) this.loading = false;
    }
  }

  async more(): Promise<void> {
    if (!this.next || this.loading) return;
    const ticket = this.#ticket;
    this.loading = true;
    try {
      const page = await this.#session.request('admin.employee.list', this.#payload(this.next), { retry: true });
      if (ticket !== this.#ticket) return;
      const shown = this.employees.map((e) => e.id);
      this.employees = [...this.employees, ...page.employees.filter((e) => !shown.includes(e.id))];
      this.next = page.next;
    } catch (err) {
      if (ticket === this.#ticket) this.error = errorText(err);
    } finally {
      if (ticket === this.#ticket) this.loading = false;
    }
  }

  async loadDepartments(): Promise<void> {
    await this.#session.attempt(async () => {
      this.departments = flatten((await this.#session.request('org.tree', {})).departments);
    });
  }

  /** Reads one employee again, as the directory shows them (who disabled them, the whole profile), into its row. */
  async #refresh(id: string, prepend = false): Promise<void> {
    try {
      const { employees } = await this.#session.request('admin.employee.list', { q: id, limit: 200 }, { retry: true });
      const fresh = employees.find((e) => e.id === id);
      if (!fresh) return;
      const at = this.employees.findIndex((e) => e.id === id);
      if (at >= 0) this.employees[at] = fresh;
      else if (prepend) this.employees = [fresh, ...this.employees];
    } catch {
      // The change was made; the row shows it at the next search.
    }
  }

  async #run<T>(id: string, fn: () => Promise<T>, prepend = false): Promise<Outcome<T>> {
    try {
      const value = await fn();
      await this.#refresh(id, prepend);
      return { ok: true, value };
    } catch (err) {
      // Part of an edit may have been made before a later op failed: the row shows what is stored.
      await this.#refresh(id);
      return { ok: false, refusal: refusalOf(err) };
    }
  }

  createPerson(p: AdminPayload<'admin.employee.create'>) {
    return this.#run(p.id, () => this.#session.request('admin.employee.create', p), true);
  }

  /** The new agent and its API secret, which the caller shows once and forgets. */
  createAgent(p: AdminPayload<'admin.agent.create'>) {
    return this.#run(p.id, () => this.#session.request('admin.agent.create', p), true);
  }

  /** Sends the ops of an edit one after the other; the first refusal stops the rest. */
  edit(id: string, c: Changes) {
    return this.#run(id, async () => {
      if (c.update) await this.#session.request('admin.employee.update', c.update);
      if (c.move) await this.#session.request('admin.employee.move', c.move);
      if (c.manager) await this.#session.request('admin.employee.set_manager', c.manager);
      if (c.profile) await this.#session.request('admin.agent.update', c.profile);
    });
  }

  disable(id: string, reason: string) {
    const why = reason.trim();
    return this.#run(id, () => this.#session.request('admin.employee.disable', { id, ...(why ? { reason: why } : {}) }));
  }

  enable(id: string) {
    return this.#run(id, () => this.#session.request('admin.employee.enable', { id }));
  }

  resetPassword(id: string, password: string) {
    return this.#run(id, () => this.#session.request('admin.employee.reset_password', { id, password }));
  }

  rotateSecret(id: string) {
    return this.#run(id, () => this.#session.request('admin.agent.rotate_secret', { id }));
  }
}
