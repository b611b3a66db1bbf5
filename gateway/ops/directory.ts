import { publicProfile, type Employee, type OpPayload } from '../../schemas/index.js';
import type { Caller } from '../caller.js';
import type { GatewayContext } from '../context.js';
import { OpError } from '../errors.js';
import { escapeRegex } from '../../lib/text.js';
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
  const q = p.q.trim();
  if (q) {
    const re = { $regex: escapeRegex(q), $options: 'i' };
    filter.$or = [{ id: re }, { name: re }, { title: re }, { skills_badge: re }];
  }
  if (p.department) filter.department_id = p.department;
  if (p.skill) filter.skills_badge = p.skill;
  const rows = await ctx.m.Employee.find(filter, { _id: 0 }).sort({ name: 1 }).limit(SEARCH_LIMIT).lean<Employee[]>();
  return { employees: rows.map(publicProfile) };
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
