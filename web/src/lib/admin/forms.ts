import type { z } from 'zod';
import { adminPayloads, capabilityId, type AdminEmployee, type AdminOpName, type AdminPayload } from '$schemas';
import { fieldErrors } from './issues';

/** A form's text as a list: commas (ASCII or full-width), the enumeration comma 、 and new lines separate. */
export function splitList(text: string): string[] {
  return text.split(/[,，、\n]/).map((s) => s.trim()).filter(Boolean);
}

export const joinList = (items: readonly string[]): string => items.join(', ');

/** The fields every employee has, as the form holds them: text, an empty one meaning none. */
export interface PersonDraft {
  id: string;
  name: string;
  title: string;
  department_id: string;
  manager_id: string;
  skills: string;
}

export interface NewPersonDraft extends PersonDraft {
  role: 'member' | 'admin';
  password: string;
}

/** A capability card being written; `id` is kept from the stored card, so renaming one keeps its routing. */
export interface CardDraft {
  id?: string;
  name: string;
  description: string;
  /** One per line. */
  examples: string;
  keywords: string;
}

export interface AgentDraft extends PersonDraft {
  model_type: string;
  webhook_endpoint: string;
  /** Seconds, as the schema takes them; empty for the default. */
  timeout: string;
  cards: CardDraft[];
  keywords: string;
  groups: string;
}

export const emptyPerson = (): NewPersonDraft => ({ id: '', name: '', title: '', department_id: '', manager_id: '', skills: '', role: 'member', password: '' });

export const emptyCard = (): CardDraft => ({ name: '', description: '', examples: '', keywords: '' });

export const emptyAgent = (): AgentDraft => ({
  id: '', name: '', title: '', department_id: '', manager_id: '', skills: '',
  model_type: '', webhook_endpoint: '', timeout: '', cards: [], keywords: '', groups: '',
});

export function personDraft(e: AdminEmployee): PersonDraft {
  return { id: e.id, name: e.name, title: e.title, department_id: e.department_id ?? '', manager_id: e.manager_id ?? '', skills: joinList(e.skills_badge) };
}

export function agentDraft(e: AdminEmployee): AgentDraft {
  const p = e.agent_profile;
  return {
    ...personDraft(e),
    model_type: p?.model_type ?? '',
    webhook_endpoint: p?.webhook_endpoint ?? '',
    timeout: p ? String(p.response_timeout / 1000) : '',
    cards: (p?.capabilities ?? []).map((c) => ({ id: c.id, name: c.name, description: c.description, examples: c.examples.join('\n'), keywords: joinList(c.trigger_keywords) })),
    keywords: joinList(p?.trigger_keywords ?? []),
    groups: joinList(p?.auto_join_groups ?? []),
  };
}

const orNull = (s: string) => s.trim() || null;

function personFields(d: PersonDraft) {
  return { id: d.id.trim(), name: d.name.trim(), title: d.title.trim(), department_id: orNull(d.department_id), manager_id: orNull(d.manager_id), skills_badge: splitList(d.skills) };
}

function profileFields(d: AgentDraft) {
  const timeout = d.timeout.trim();
  return {
    model_type: d.model_type.trim(),
    webhook_endpoint: d.webhook_endpoint.trim(),
    ...(timeout ? { response_timeout: Number(timeout) } : {}),
    capabilities: d.cards.map((c) => ({
      id: c.id ?? capabilityId(c.name),
      name: c.name.trim(),
      description: c.description.trim(),
      examples: c.examples.split('\n').map((s) => s.trim()).filter(Boolean),
      trigger_keywords: splitList(c.keywords),
    })),
    trigger_keywords: splitList(d.keywords),
    auto_join_groups: splitList(d.groups),
  };
}

export type Checked<O extends AdminOpName> = { ok: true; payload: AdminPayload<O> } | { ok: false; errors: Record<string, string> };

/** The payload of `op` as the gateway will parse it, or each field's problem in the reader's language. */
export function check<O extends AdminOpName>(op: O, payload: unknown): Checked<O> {
  const parsed = (adminPayloads[op] as z.ZodType).safeParse(payload, { reportInput: true });
  return parsed.success ? { ok: true, payload: parsed.data as AdminPayload<O> } : { ok: false, errors: fieldErrors(parsed.error) };
}

export const newPerson = (d: NewPersonDraft) => check('admin.employee.create', { ...personFields(d), role: d.role, password: d.password });

export const newAgent = (d: AgentDraft) => check('admin.agent.create', { ...personFields(d), agent_profile: profileFields(d) });

/** What changed of an employee, as the ops that change each part: their card, their department, their manager. */
export interface Changes {
  update?: AdminPayload<'admin.employee.update'>;
  move?: AdminPayload<'admin.employee.move'>;
  manager?: AdminPayload<'admin.employee.set_manager'>;
  profile?: AdminPayload<'admin.agent.update'>;
}

export type CheckedChanges = { ok: true; changes: Changes } | { ok: false; errors: Record<string, string> };

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The ops an edit needs, each checked by its own schema, only for what differs from `before`.
 * Errors are keyed as in the creation forms (`name`, `agent_profile.webhook_endpoint`).
 */
export function edits(before: AdminEmployee, d: PersonDraft | AgentDraft): CheckedChanges {
  const now = personFields({ ...d, id: before.id });
  const was = personFields(before.agent_profile ? agentDraft(before) : personDraft(before));
  const errors: Record<string, string> = {};
  const changes: Changes = {};
  const card = Object.fromEntries((['name', 'title', 'skills_badge'] as const).filter((k) => !same(now[k], was[k])).map((k) => [k, now[k]]));
  const take = <O extends AdminOpName>(op: O, payload: unknown, key: keyof Changes) => {
    const checked = check(op, payload);
    if (checked.ok) (changes as Record<string, unknown>)[key] = checked.payload;
    else for (const [field, text] of Object.entries(checked.errors)) errors[field] ??= text;
  };
  if (Object.keys(card).length) take('admin.employee.update', { id: before.id, ...card }, 'update');
  if (now.department_id !== was.department_id) take('admin.employee.move', { id: before.id, department_id: now.department_id }, 'move');
  if (now.manager_id !== was.manager_id) take('admin.employee.set_manager', { id: before.id, manager_id: now.manager_id }, 'manager');
  if ('cards' in d && before.agent_profile) {
    const next = profileFields(d);
    const old = profileFields(agentDraft(before));
    const patch = Object.fromEntries(Object.entries(next).filter(([k, v]) => !same(v, old[k as keyof typeof old])));
    if (Object.keys(patch).length) take('admin.agent.update', { id: before.id, agent_profile: patch }, 'profile');
  }
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, changes };
}
