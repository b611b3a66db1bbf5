import { publicProfile, type Employee, type OpPayload } from '../../schemas/index.js';
import type { Caller, GatewayContext } from '../context.js';
import { OpError } from '../errors.js';
import { escapeRegex } from '../../lib/text.js';

const SEARCH_LIMIT = 50;

export async function get(ctx: GatewayContext, _caller: Caller, p: OpPayload<'employee.get'>) {
  const e = await ctx.m.Employee.findOne({ id: p.id }, { _id: 0 }).lean<Employee>();
  if (!e) throw new OpError('E_NOT_FOUND', `no employee "${p.id}"`, 'payload.id');
  return { employee: publicProfile(e) };
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
