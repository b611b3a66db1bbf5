import { capabilityCards, type AdminEmployee, type AdminPayload, type AuditEntry, type Employee } from '../../schemas/index.js';
import { escapeRegex, isPinyinQuery, matchesPinyin, pinyinForms } from '../../lib/text.js';
import { OpError } from '../errors.js';
import type { AdminContext, Outcome } from './context.js';

/** How many names with Han characters one pinyin search reads, at most: a directory's worth. */
const PINYIN_SCAN_LIMIT = 20_000;

type Cursor = [name: string, id: string];

const encode = (e: Pick<Employee, 'name' | 'id'>): string => Buffer.from(JSON.stringify([e.name, e.id])).toString('base64url');

function decode(after: string): Cursor {
  try {
    const cursor: unknown = JSON.parse(Buffer.from(after, 'base64url').toString('utf8'));
    if (Array.isArray(cursor) && cursor.length === 2 && cursor.every((x) => typeof x === 'string')) return cursor as Cursor;
  } catch {
    // answered below
  }
  throw new OpError('E_SCHEMA', 'payload.after: not a cursor this op gave', 'payload.after');
}

const byNameThenId = (a: Employee, b: Employee) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The directory for admins: people and agents, disabled ones too, each with the whole profile an
 * admin edits (an agent's webhook, timeout and groups, which members never see). Pages follow
 * the name (then id), so a page boundary holds however many share a name; a search also finds
 * Chinese names by their pinyin, as members' `employee.search` does.
 */
export async function listEmployees(ctx: AdminContext, p: AdminPayload<'admin.employee.list'>): Promise<Outcome<'admin.employee.list'>> {
  const filter: Record<string, unknown> = {};
  if (p.kind !== 'all') filter.is_ai_agent = p.kind === 'agent';
  if (p.status !== 'all') filter.status = p.status;
  if (p.department_id) filter.department_id = p.department_id;
  if (p.after) {
    const [name, id] = decode(p.after);
    filter.$or = [{ name: { $gt: name } }, { name, id: { $gt: id } }];
  }
  const find = (f: Record<string, unknown>, limit: number) =>
    ctx.m.Employee.find(f, { _id: 0 }).sort({ name: 1, id: 1 }).limit(limit).lean<Employee[]>().exec();

  const q = p.q.trim();
  let found: Employee[];
  if (!q) {
    found = await find(filter, p.limit + 1);
  } else {
    const re = { $regex: escapeRegex(q), $options: 'i' };
    // `$and`: the cursor's `$or` and the search's stay two conditions.
    const { $or: cursor, ...rest } = filter;
    const matching = { ...rest, $and: [{ $or: [{ id: re }, { name: re }, { title: re }, { skills_badge: re }] }, ...(cursor ? [{ $or: cursor }] : [])] };
    const [matched, byPinyin] = await Promise.all([
      find(matching, p.limit + 1),
      isPinyinQuery(q) ? find({ ...filter, name: { $regex: '\\p{Han}' } }, PINYIN_SCAN_LIMIT).then((han) => han.filter((e) => matchesPinyin(pinyinForms(e.name), q))) : [],
    ]);
    found = [...new Map([...matched, ...byPinyin].map((e) => [e.id, e])).values()].sort(byNameThenId).slice(0, p.limit + 1);
  }
  const page = found.slice(0, p.limit);
  const employees = await withDisabling(ctx, page.map(adminProfile));
  const next = found.length > p.limit ? encode(page.at(-1)!) : null;
  return { result: { employees, next }, target: null, after: { count: employees.length } };
}

/** Everything but credentials, which live elsewhere; capabilities stored as ids read as cards. */
export function adminProfile(e: Employee): AdminEmployee {
  if (!e.agent_profile) return e as AdminEmployee;
  return { ...e, agent_profile: { ...e.agent_profile, capabilities: capabilityCards(e.agent_profile.capabilities) } };
}

/** Who disabled each disabled account, when and why: the audit log is where that is kept. */
async function withDisabling(ctx: AdminContext, employees: AdminEmployee[]): Promise<AdminEmployee[]> {
  const disabled = employees.filter((e) => e.status === 'disabled').map((e) => e.id);
  if (disabled.length === 0) return employees;
  const entries = await ctx.m.Audit.find({ op: 'admin.employee.disable', ok: true, target: { $in: disabled } }, { _id: 0 })
    .sort({ audit_id: -1 }).lean<AuditEntry[]>();
  const latest = new Map<string, AuditEntry>();
  for (const entry of entries) if (entry.target && !latest.has(entry.target)) latest.set(entry.target, entry);
  return employees.map((e) => {
    const entry = e.status === 'disabled' ? latest.get(e.id) : undefined;
    if (!entry) return e;
    const reason = (entry.after as { reason?: unknown } | undefined)?.reason;
    return { ...e, disabled: { at: entry.ts, by: entry.actor, ...(typeof reason === 'string' ? { reason } : {}) } };
  });
}
