import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import {
  AgentProfile, capabilityCards, publicProfile, type AdminOpName, type AdminPayload, type CapabilityCard, type Department, type Employee,
  type Group,
} from '../../schemas/index.js';
import { hashPassword } from '../../lib/auth.js';
import { setCredentials } from '../../store/credentials.js';
import type { Models } from '../../store/db.js';
import type { Caller } from '../caller.js';
import { OpError } from '../errors.js';
import type { AdminContext, Outcome } from './context.js';
import { wouldCycle } from './org.js';


function checkGroupSize(ctx: AdminContext, size: number): void {
  if (size > ctx.maxGroupSize) throw new OpError('E_TOO_LARGE', `${size} members; a group has at most ${ctx.maxGroupSize}`, 'payload.members');
}


/** `actor` is who asked; the import runs ops on its own behalf without one. */
type Handler<O extends AdminOpName> = (ctx: AdminContext, p: AdminPayload<O>, actor?: Caller) => Promise<Outcome<O>>;

async function employee(m: Models, id: string, field: string): Promise<Employee> {
  const e = await m.Employee.findOne({ id }, { _id: 0 }).lean<Employee>();
  if (!e) throw new OpError('E_NOT_FOUND', `no employee "${id}"`, field);
  return e;
}

async function activeEmployees(m: Models, ids: readonly string[], field: string): Promise<void> {
  const found = new Set((await m.Employee.find({ id: { $in: ids }, status: 'active' }, { id: 1 }).lean()).map((e) => e.id));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length) throw new OpError('E_NOT_FOUND', `no active employee ${missing.map((x) => `"${x}"`).join(', ')}`, field);
}

async function department(m: Models, id: string | null, field: string): Promise<void> {
  if (id !== null && !(await m.Department.exists({ id }))) throw new OpError('E_NOT_FOUND', `no department "${id}"`, field);
}

async function existingDepartment(m: Models, id: string): Promise<Department> {
  const d = await m.Department.findOne({ id }, { _id: 0 }).lean<Department>();
  if (!d) throw new OpError('E_NOT_FOUND', `no department "${id}"`, 'payload.id');
  return d;
}

async function group(m: Models, id: string): Promise<Group> {
  const g = await m.Group.findOne({ id, dissolved: false }, { _id: 0 }).lean<Group>();
  if (!g) throw new OpError('E_NOT_FOUND', `no group "${id}"`, 'payload.id');
  return g;
}

async function unused(m: Models, id: string): Promise<void> {
  if (await m.Employee.exists({ id })) throw new OpError('E_CONFLICT', `employee id "${id}" is taken`, 'payload.id');
}

function reachable(url: URL, timeoutMs = 3_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80), timeout: timeoutMs });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
    socket.once('error', () => resolve(false));
  });
}

export async function checkWebhook(ctx: AdminContext, endpoint: string): Promise<void> {
  if (!ctx.production) return;
  const url = new URL(endpoint);
  const field = 'payload.agent_profile.webhook_endpoint';
  if (url.protocol !== 'https:') throw new OpError('E_SCHEMA', 'an agent webhook must use https in production', field);
  if (!(await reachable(url))) throw new OpError('E_UNAVAILABLE', `agent webhook ${url.host} does not answer`, field);
}

const profile = (e: Employee) => publicProfile(e);

type GroupSeat = Pick<Group, 'id' | 'name' | 'owner_id' | 'members'>;

/** The live groups an agent is to join, each with room for it; E_NOT_FOUND names any that is not. */
async function groupsToJoin(ctx: AdminContext, agentId: string, ids: readonly string[]): Promise<GroupSeat[]> {
  const groups = await ctx.m.Group.find({ id: { $in: ids }, dissolved: false }, { _id: 0, id: 1, name: 1, owner_id: 1, members: 1 }).lean<GroupSeat[]>();
  const missing = ids.filter((g) => !groups.some((x) => x.id === g));
  if (missing.length) throw new OpError('E_NOT_FOUND', `no group ${missing.join(', ')}`, 'payload.agent_profile.auto_join_groups');
  // In the order listed, so what is announced and audited reads as the admin wrote it.
  const joining = [...new Set(ids)].map((id) => groups.find((g) => g.id === id)!).filter((g) => !g.members.includes(agentId));
  for (const g of joining) checkGroupSize(ctx, g.members.length + 1);
  return joining;
}

/**
 * What a new `auto_join_groups` means for an agent's memberships: it joins each listed group it
 * is not in (if active: a disabled agent joins nothing) and leaves each group dropped from the
 * list, the ownership of a group it owns going to the longest-standing other member. Checked
 * whole before anything is written.
 */
async function autoJoinChange(ctx: AdminContext, agent: Employee, listed: readonly string[]): Promise<{ join: GroupSeat[]; leave: GroupSeat[] }> {
  const join = agent.status === 'active' ? await groupsToJoin(ctx, agent.id, listed) : [];
  const dropped = (agent.agent_profile?.auto_join_groups ?? []).filter((g) => !listed.includes(g));
  const leave = dropped.length
    ? await ctx.m.Group.find({ id: { $in: dropped }, dissolved: false, members: agent.id }, { _id: 0, id: 1, name: 1, owner_id: 1, members: 1 }).lean<GroupSeat[]>()
    : [];
  const alone = leave.find((g) => g.members.length === 1);
  if (alone) throw new OpError('E_CONFLICT', `"${agent.id}" is the last member of "${alone.id}": dissolve the group instead`, 'payload.agent_profile.auto_join_groups');
  return { join, leave };
}

async function applyAutoJoin(ctx: AdminContext, agentId: string, { join, leave }: { join: GroupSeat[]; leave: GroupSeat[] }): Promise<void> {
  if (join.length) await ctx.m.Group.updateMany({ id: { $in: join.map((g) => g.id) } }, { $addToSet: { members: agentId } });
  for (const g of leave) {
    // $pullAll, not $pull with $in: FerretDB 1.x silently ignores the latter.
    await ctx.m.Group.updateOne({ id: g.id }, {
      $pullAll: { members: [agentId] },
      ...(g.owner_id === agentId ? { $set: { owner_id: g.members.find((id) => id !== agentId)! } } : {}),
    });
  }
}

/** Signs an agent's webhook calls; the agent checks them with it (schemas/webhook.ts). */
const newApiSecret = () => randomBytes(32).toString('base64url');

/** The organisation's own ops; the directory, audit, import, export, cockpit, relays and schedules live in their own files (see run.ts). */
type OrganisationOp = Exclude<
  AdminOpName,
  'admin.import' | 'admin.employee.list' | 'admin.org.export' | 'admin.cockpit' | `admin.audit.${string}` | `admin.relay.${string}` | `admin.schedule.${string}`
>;

const handlers: { [O in OrganisationOp]: Handler<O> } = {
  async 'admin.employee.create'(ctx, { password, ...p }) {
    await unused(ctx.m, p.id);
    await department(ctx.m, p.department_id, 'payload.department_id');
    if (p.manager_id) await activeEmployees(ctx.m, [p.manager_id], 'payload.manager_id');
    const doc: Employee = { ...p, status: 'active', is_ai_agent: false, created_at: Date.now() };
    await ctx.m.Credential.create({ employee_id: p.id, password_hash: await hashPassword(password) });
    await ctx.m.Employee.create(doc);
    await ctx.announce.settle([ctx.announce.joined(doc), ctx.announce.profile(doc), ctx.announce.orgTree()]);
    return { result: { employee: profile(doc) }, target: p.id, after: profile(doc) };
  },

  async 'admin.agent.create'(ctx, p) {
    await unused(ctx.m, p.id);
    await department(ctx.m, p.department_id, 'payload.department_id');
    if (p.manager_id) await activeEmployees(ctx.m, [p.manager_id], 'payload.manager_id');
    const groups = await groupsToJoin(ctx, p.id, p.agent_profile.auto_join_groups);
    await checkWebhook(ctx, p.agent_profile.webhook_endpoint);
    const api_secret = newApiSecret();
    const doc: Employee = { ...p, role: 'member', status: 'active', is_ai_agent: true, created_at: Date.now() };
    await ctx.m.Credential.create({ employee_id: p.id, api_secret });
    await ctx.m.Employee.create(doc);
    await applyAutoJoin(ctx, p.id, { join: groups, leave: [] });
    await ctx.announce.settle([
      ctx.announce.joined(doc), ctx.announce.profile(doc), ctx.announce.orgTree(),
      ctx.announce.capabilities(skillIds(p.agent_profile.capabilities)),
      ...groups.map((g) => ctx.announce.groupMembership(g, { added: [p.id] })),
    ]);
    // The secret is shown once, here; it signs the agent's webhook calls.
    return { result: { employee: profile(doc), api_secret }, target: p.id, after: profile(doc) };
  },

  async 'admin.agent.update'(ctx, p) {
    const before = await employee(ctx.m, p.id, 'payload.id');
    if (!before.is_ai_agent || !before.agent_profile) throw new OpError('E_CONFLICT', `"${p.id}" is not an AI agent`, 'payload.id');
    const was = before.agent_profile;
    const agent_profile = AgentProfile.parse({ ...was, ...p.agent_profile });
    if (p.agent_profile.webhook_endpoint) await checkWebhook(ctx, agent_profile.webhook_endpoint);
    const listed = p.agent_profile.auto_join_groups;
    if (!listed) return updateAgent(ctx, before, was, agent_profile, { join: [], leave: [] });
    // The groups were locked as the profile read before the lock named them (see `changes`); one
    // changed since is taken now.
    const groups = [...listed, ...was.auto_join_groups].map((g) => `group:${g}`);
    return ctx.writes.run(groups, async () => updateAgent(ctx, before, was, agent_profile, await autoJoinChange(ctx, before, listed)));
  },

  async 'admin.employee.disable'(ctx, p, actor) {
    // An admin locking themselves out would need another admin to get back in; there may be none.
    if (p.id === actor?.id) throw new OpError('E_CONFLICT', 'you cannot disable your own account', 'payload.id');
    const before = await employee(ctx.m, p.id, 'payload.id');
    if (before.status === 'disabled') throw new OpError('E_CONFLICT', `"${p.id}" is already disabled`, 'payload.id');
    await ctx.m.Employee.updateOne({ id: p.id }, { $set: { status: 'disabled' } });
    const after: Employee = { ...before, status: 'disabled' };
    ctx.announce.disconnect(p.id);
    await ctx.announce.settle([
      ctx.announce.profile(after), ctx.announce.orgTree(),
      ...(before.agent_profile ? [ctx.announce.capabilities(skillIds(before.agent_profile.capabilities))] : []),
    ]);
    return { result: { employee: profile(after) }, target: p.id, before: { status: before.status }, after: { status: 'disabled', reason: p.reason } };
  },

  async 'admin.employee.enable'(ctx, p) {
    const before = await employee(ctx.m, p.id, 'payload.id');
    if (before.status === 'active') throw new OpError('E_CONFLICT', `"${p.id}" is not disabled`, 'payload.id');
    await ctx.m.Employee.updateOne({ id: p.id }, { $set: { status: 'active' } });
    const after: Employee = { ...before, status: 'active' };
    await ctx.announce.settle([
      ctx.announce.profile(after), ctx.announce.orgTree(),
      ...(before.agent_profile ? [ctx.announce.capabilities(skillIds(before.agent_profile.capabilities))] : []),
    ]);
    return { result: { employee: profile(after) }, target: p.id, before: { status: before.status }, after: { status: 'active' } };
  },

  async 'admin.employee.update'(ctx, { id, ...fields }) {
    const before = await employee(ctx.m, id, 'payload.id');
    const set = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<Employee>;
    await ctx.m.Employee.updateOne({ id }, { $set: set });
    const after = { ...before, ...set };
    const shown = set.name !== undefined || set.title !== undefined;
    await ctx.announce.settle([ctx.announce.profile(after), ...(shown ? [ctx.announce.orgTree()] : [])]);
    const was = Object.fromEntries(Object.keys(set).map((k) => [k, before[k as keyof Employee] ?? null]));
    return { result: { employee: profile(after) }, target: id, before: was, after: set };
  },

  async 'admin.employee.reset_password'(ctx, p) {
    const before = await employee(ctx.m, p.id, 'payload.id');
    if (before.is_ai_agent) throw new OpError('E_CONFLICT', `"${p.id}" is an AI agent, which signs in with its API secret: rotate that instead`, 'payload.id');
    await setCredentials(ctx.m, [{ employee_id: p.id, set: { password_hash: await hashPassword(p.password) } }]);
    // The password is never written to the log, only that it changed.
    return { result: { employee: profile(before) }, target: p.id, after: { password: 'reset' } };
  },

  async 'admin.agent.rotate_secret'(ctx, p) {
    const before = await employee(ctx.m, p.id, 'payload.id');
    if (!before.is_ai_agent) throw new OpError('E_CONFLICT', `"${p.id}" is not an AI agent`, 'payload.id');
    const api_secret = newApiSecret();
    // From now on calls are signed with the new secret, and callbacks signed with the old one are refused.
    await setCredentials(ctx.m, [{ employee_id: p.id, set: { api_secret } }]);
    return { result: { employee: profile(before), api_secret }, target: p.id, after: { api_secret: 'rotated' } };
  },

  async 'admin.employee.move'(ctx, p) {
    const before = await employee(ctx.m, p.id, 'payload.id');
    await department(ctx.m, p.department_id, 'payload.department_id');
    await ctx.m.Employee.updateOne({ id: p.id }, { $set: { department_id: p.department_id } });
    const after = { ...before, department_id: p.department_id };
    await ctx.announce.settle([ctx.announce.profile(after), ctx.announce.orgTree()]);
    return { result: { employee: profile(after) }, target: p.id, before: { department_id: before.department_id }, after: { department_id: p.department_id } };
  },

  async 'admin.employee.set_manager'(ctx, p) {
    const before = await employee(ctx.m, p.id, 'payload.id');
    if (p.manager_id !== null) {
      if (p.manager_id === p.id) throw new OpError('E_CONFLICT', 'an employee cannot manage themselves', 'payload.manager_id');
      await activeEmployees(ctx.m, [p.manager_id], 'payload.manager_id');
      const chain = new Map((await ctx.m.Employee.find({}, { id: 1, manager_id: 1 }).lean()).map((e) => [e.id, e.manager_id ?? null]));
      if (wouldCycle(chain, p.id, p.manager_id)) {
        throw new OpError('E_CONFLICT', `"${p.manager_id}" reports to "${p.id}": that would make a loop`, 'payload.manager_id');
      }
    }
    await ctx.m.Employee.updateOne({ id: p.id }, { $set: { manager_id: p.manager_id } });
    const after = { ...before, manager_id: p.manager_id };
    await ctx.announce.settle([ctx.announce.profile(after)]);
    return { result: { employee: profile(after) }, target: p.id, before: { manager_id: before.manager_id }, after: { manager_id: p.manager_id } };
  },

  async 'admin.department.create'(ctx, p) {
    if (await ctx.m.Department.exists({ id: p.id })) throw new OpError('E_CONFLICT', `department id "${p.id}" is taken`, 'payload.id');
    await department(ctx.m, p.parent_id, 'payload.parent_id');
    const doc: Department = { ...p, head_id: null };
    await ctx.m.Department.create(doc);
    await ctx.announce.settle([ctx.announce.orgTree()]);
    return { result: { department: doc }, target: p.id, after: doc };
  },

  async 'admin.department.move'(ctx, p) {
    const before = await existingDepartment(ctx.m, p.id);
    await department(ctx.m, p.parent_id, 'payload.parent_id');
    const tree = new Map((await ctx.m.Department.find({}, { id: 1, parent_id: 1 }).lean()).map((d) => [d.id, d.parent_id ?? null]));
    if (wouldCycle(tree, p.id, p.parent_id)) {
      throw new OpError('E_CONFLICT', `"${p.parent_id}" is inside "${p.id}": that would make a loop`, 'payload.parent_id');
    }
    await ctx.m.Department.updateOne({ id: p.id }, { $set: { parent_id: p.parent_id } });
    await ctx.announce.settle([ctx.announce.orgTree()]);
    return { result: { department: { ...before, parent_id: p.parent_id } }, target: p.id, before: { parent_id: before.parent_id }, after: { parent_id: p.parent_id } };
  },

  async 'admin.department.rename'(ctx, p) {
    const before = await existingDepartment(ctx.m, p.id);
    await ctx.m.Department.updateOne({ id: p.id }, { $set: { name: p.name } });
    await ctx.announce.settle([ctx.announce.orgTree()]);
    return { result: { department: { ...before, name: p.name } }, target: p.id, before: { name: before.name }, after: { name: p.name } };
  },

  async 'admin.department.set_head'(ctx, p) {
    const before = await existingDepartment(ctx.m, p.id);
    if (p.head_id !== null) {
      const head = await employee(ctx.m, p.head_id, 'payload.head_id');
      if (head.status !== 'active') throw new OpError('E_CONFLICT', `"${p.head_id}" is disabled`, 'payload.head_id');
      if (head.is_ai_agent) throw new OpError('E_CONFLICT', 'an AI agent cannot head a department', 'payload.head_id');
    }
    await ctx.m.Department.updateOne({ id: p.id }, { $set: { head_id: p.head_id } });
    await ctx.announce.settle([ctx.announce.orgTree()]);
    return { result: { department: { ...before, head_id: p.head_id } }, target: p.id, before: { head_id: before.head_id ?? null }, after: { head_id: p.head_id } };
  },

  async 'admin.group.create'(ctx, p) {
    if (await ctx.m.Group.exists({ id: p.id })) throw new OpError('E_CONFLICT', `group id "${p.id}" is taken`, 'payload.id');
    const members = [...new Set([p.owner_id, ...p.members])];
    checkGroupSize(ctx, members.length);
    await activeEmployees(ctx.m, members, 'payload.members');
    const doc: Group = { id: p.id, name: p.name, owner_id: p.owner_id, members, created_at: Date.now(), dissolved: false };
    await ctx.m.Group.create(doc);
    await ctx.announce.settle([ctx.announce.groupMembership(doc, { added: members })]);
    return { result: { group: doc }, target: p.id, after: doc };
  },

  async 'admin.group.dissolve'(ctx, p) {
    const before = await group(ctx.m, p.id);
    await ctx.m.Group.updateOne({ id: p.id }, { $set: { dissolved: true } });
    await ctx.announce.settle([ctx.announce.groupMembership(before, { removed: before.members })]);
    return { result: { group: { ...before, dissolved: true } }, target: p.id, before: { dissolved: false }, after: { dissolved: true } };
  },

  async 'admin.group.add_members'(ctx, p) {
    const before = await group(ctx.m, p.id);
    const members = [...new Set([...before.members, ...p.members])];
    checkGroupSize(ctx, members.length);
    await activeEmployees(ctx.m, p.members, 'payload.members');
    await ctx.m.Group.updateOne({ id: p.id }, { $addToSet: { members: { $each: p.members } } });
    const added = p.members.filter((id) => !before.members.includes(id));
    await ctx.announce.settle([ctx.announce.groupMembership(before, { added })]);
    return { result: { group: { ...before, members } }, target: p.id, before: { members: before.members }, after: { members } };
  },

  async 'admin.group.remove_members'(ctx, p) {
    const before = await group(ctx.m, p.id);
    const members = before.members.filter((id) => !p.members.includes(id));
    if (members.length === 0) throw new OpError('E_CONFLICT', 'a group cannot lose all its members; dissolve it instead', 'payload.members');
    // $pullAll, not $pull with $in: FerretDB 1.x silently ignores the latter.
    await ctx.m.Group.updateOne({ id: p.id }, { $pullAll: { members: p.members } });
    const removed = before.members.filter((id) => p.members.includes(id));
    await ctx.announce.settle([ctx.announce.groupMembership(before, { removed })]);
    return { result: { group: { ...before, members } }, target: p.id, before: { members: before.members }, after: { members } };
  },
};

/** The agent's new profile, and the groups it joins and leaves with it, written and announced. */
async function updateAgent(
  ctx: AdminContext, before: Employee, was: AgentProfile, agent_profile: AgentProfile, groups: { join: GroupSeat[]; leave: GroupSeat[] },
): Promise<Outcome<'admin.agent.update'>> {
  await ctx.m.Employee.updateOne({ id: before.id }, { $set: { agent_profile } });
  await applyAutoJoin(ctx, before.id, groups);
  const after = { ...before, agent_profile };
  await ctx.announce.settle([
    ctx.announce.profile(after),
    ctx.announce.capabilities(skillIds([...was.capabilities, ...agent_profile.capabilities])),
    ...groups.join.map((g) => ctx.announce.groupMembership(g, { added: [before.id] })),
    ...groups.leave.map((g) => ctx.announce.groupMembership(g, { removed: [before.id] })),
  ]);
  const moved = groups.join.length || groups.leave.length
    ? { joined_groups: groups.join.map((g) => g.id), left_groups: groups.leave.map((g) => g.id) }
    : {};
  return { result: { employee: profile(after) }, target: before.id, before: was, after: { ...agent_profile, ...moved } };
}

/**
 * What each op changes, as lock keys (store/locks.ts): the organisation's shape (`org`: departments,
 * reporting lines, who exists), one employee's document, one group's. Each op reads, checks and
 * writes inside its keys, so no two changes of one thing interleave and none is lost.
 */
async function changes(ctx: AdminContext, op: OrganisationOp, p: { id: string; agent_profile?: { auto_join_groups?: readonly string[] } }): Promise<string[]> {
  if (op.startsWith('admin.group.')) return [`group:${p.id}`];
  if (op.startsWith('admin.department.')) return ['org'];
  const listed = op === 'admin.agent.create' || op === 'admin.agent.update' ? (p.agent_profile?.auto_join_groups ?? []) : [];
  // An update also leaves the groups dropped from the list, which only the stored profile names.
  const stored = op === 'admin.agent.update' && p.agent_profile?.auto_join_groups
    ? (await ctx.m.Employee.findOne({ id: p.id }, { _id: 0, agent_profile: 1 }).lean<Pick<Employee, 'agent_profile'>>())?.agent_profile?.auto_join_groups ?? []
    : [];
  return ['org', `employee:${p.id}`, ...[...listed, ...stored].map((g) => `group:${g}`)];
}

export const adminHandlers = Object.fromEntries(
  Object.entries(handlers).map(([op, handler]) => [
    op,
    async (ctx: AdminContext, p: never, actor?: Caller) =>
      ctx.writes.run(await changes(ctx, op as OrganisationOp, p), () => (handler as (c: AdminContext, p: never, a?: Caller) => Promise<Outcome>)(ctx, p, actor)),
  ]),
) as typeof handlers;

/** The ids of an agent's capabilities, stored as cards or (before cards) as ids. */
const skillIds = (stored: readonly (CapabilityCard | string)[]): string[] => capabilityCards(stored).map((c) => c.id);
