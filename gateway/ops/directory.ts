import { publicProfile, type Employee, type OpPayload } from '../../schemas/index.js';
import type { Caller } from '../caller.js';
import type { GatewayContext } from '../context.js';
import { OpError } from '../errors.js';
import { escapeRegex, isPinyinQuery, matchesPinyin, pinyinForms } from '../../lib/text.js';
import { Lru } from '../../store/batching.js';
import { loadOrgTree } from '../admin/org.js';

const SEARCH_LIMIT = 50;

const MAX_REPORTING_DEPTH = 32;

/** The profile, and the reporting line above it: manager, their manager, … up to the top. */
export async function get(ctx: GatewayContext, _caller: Caller, p: OpPayload<'employee.get'>) {
  const e = await ctx.m.Employee.findOne({ id: p.id }, { _id: 0 }).lean<Employee>();
  if (!e) throw new OpError('E_NOT_FOUND', `no employee "${p.id}"`, 'payload.id');
  const reporting_line: { id: string; name: string; title: string }[] = [];
  const seen = new Set([e.id]);
  for (let next = e.manager_id; next && !seen.has(next) && reporting_line.length < MAX_REPORTING_DEPTH; ) {
    seen.add(next);
    const manager = await ctx.m.Employee.findOne({ id: next }, { _id: 0, id: 1, name: 1, title: 1, manager_id: 1 }).lean<Employee>();
    if (!manager) break;
    reporting_line.push({ id: manager.id, name: manager.name, title: manager.title ?? '' });
    next = manager.manager_id;
  }
  return { employee: publicProfile(e), reporting_line };
}

export async function search(ctx: GatewayContext, _caller: Caller, p: OpPayload<'employee.search'>) {
  const filter: Record<string, unknown> = { status: 'active' };
  if (p.department) filter.department_id = p.department;
  if (p.skill) filter.skills_badge = p.skill;
  const q = p.q.trim();
  if (!q) return { employees: (await findEmployees(ctx, filter)).map(publicProfile) };
  const re = { $regex: escapeRegex(q), $options: 'i' };
  const [matched, byPinyin] = await Promise.all([
    findEmployees(ctx, { ...filter, $or: [{ id: re }, { name: re }, { title: re }, { skills_badge: re }] }),
    isPinyinQuery(q) ? pinyinMatches(ctx, filter, q) : [],
  ]);
  const found = new Map([...matched, ...byPinyin].map((e) => [e.id, e]));
  return { employees: [...found.values()].sort(byName).slice(0, SEARCH_LIMIT).map(publicProfile) };
}

function findEmployees(ctx: GatewayContext, filter: Record<string, unknown>): Promise<Employee[]> {
  return ctx.m.Employee.find(filter, { _id: 0 }).sort({ name: 1 }).limit(SEARCH_LIMIT).lean<Employee[]>().exec();
}

const byName = (a: Employee, b: Employee) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** How many names with Han characters one pinyin search reads, at most: a directory's worth. */
const PINYIN_SCAN_LIMIT = 20_000;
const pinyinOf = new Lru<string, string[]>(PINYIN_SCAN_LIMIT);

/**
 * Employees whose Chinese name the query spells in pinyin ("zhangwei", "zw" for 张伟). Names are
 * spelled when searched rather than stored spelled, so every name however written (import, admin,
 * profile) is found without a second field to keep in step; a name search reads the directory
 * anyway, as a regular expression is evaluated by scanning.
 */
async function pinyinMatches(ctx: GatewayContext, filter: Record<string, unknown>, q: string): Promise<Employee[]> {
  const han = await ctx.m.Employee.find({ ...filter, name: { $regex: '\\p{Han}' } }, { _id: 0 }).limit(PINYIN_SCAN_LIMIT).lean<Employee[]>();
  return han.filter((e) => {
    let forms = pinyinOf.get(e.name);
    if (!forms) pinyinOf.set(e.name, (forms = pinyinForms(e.name)));
    return matchesPinyin(forms, q);
  });
}

export async function tree(ctx: GatewayContext) {
  return loadOrgTree(ctx.m);
}

/** An employee edits their own card; everyone watching `mchat/profile/{id}` sees it. */
export function updateProfile(ctx: GatewayContext, caller: Caller, p: OpPayload<'profile.update'>) {
  return ctx.admin.writes.run([`employee:${caller.id}`], () => writeProfile(ctx, caller, p));
}

async function writeProfile(ctx: GatewayContext, caller: Caller, p: OpPayload<'profile.update'>) {
  const before = await ctx.m.Employee.findOne({ id: caller.id }, { _id: 0 }).lean<Employee>();
  if (!before) throw new OpError('E_NOT_FOUND', 'your employee record is gone');
  await ctx.m.Employee.updateOne({ id: caller.id }, { $set: p });
  const after = { ...before, ...p };
  const announce = ctx.admin.announce;
  await announce.settle([announce.profile(after), ...(p.name || p.title !== undefined ? [announce.orgTree()] : [])]);
  return { employee: publicProfile(after) };
}
