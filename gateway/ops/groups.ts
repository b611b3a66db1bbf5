import { ulid } from 'ulid';
import type { Group, OpPayload } from '../../schemas/index.js';
import { adminHandlers } from '../admin/ops.js';
import type { Caller } from '../caller.js';
import type { GatewayContext } from '../context.js';
import { OpError } from '../errors.js';

/**
 * Groups as members run them: anyone may start one, members bring people in, the owner removes
 * people and dissolves it, anyone may leave. The changes themselves (size cap, live ACLs, inbox
 * notices) are the admin ops', so a group behaves the same whoever changed it; members' changes
 * are not audited, being no admin's doing.
 */
async function groupOf(ctx: GatewayContext, caller: Caller, id: string): Promise<Group> {
  const g = await ctx.m.Group.findOne({ id, dissolved: false }, { _id: 0 }).lean<Group>();
  // Outsiders cannot tell a group they are not in from one that does not exist.
  if (!g || (!g.members.includes(caller.id) && caller.role !== 'admin')) throw new OpError('E_NOT_FOUND', `no group "${id}"`, 'payload.id');
  return g;
}

function requireOwner(caller: Caller, g: Group): void {
  if (g.owner_id !== caller.id && caller.role !== 'admin') {
    throw new OpError('E_FORBIDDEN', `only the owner of "${g.id}" may do that`, 'payload.id');
  }
}

export async function create(ctx: GatewayContext, caller: Caller, p: OpPayload<'group.create'>) {
  const id = p.id ?? `grp-${ulid().toLowerCase()}`;
  const outcome = await adminHandlers['admin.group.create'](ctx.admin, { id, name: p.name, owner_id: caller.id, members: p.members });
  return outcome.result;
}

export async function get(ctx: GatewayContext, caller: Caller, p: OpPayload<'group.get'>) {
  return { group: await groupOf(ctx, caller, p.id) };
}

export async function addMembers(ctx: GatewayContext, caller: Caller, p: OpPayload<'group.add_members'>) {
  await groupOf(ctx, caller, p.id);
  return (await adminHandlers['admin.group.add_members'](ctx.admin, p)).result;
}

export async function removeMembers(ctx: GatewayContext, caller: Caller, p: OpPayload<'group.remove_members'>) {
  requireOwner(caller, await groupOf(ctx, caller, p.id));
  if (p.members.includes(caller.id)) throw new OpError('E_CONFLICT', 'use group.leave to leave a group', 'payload.members');
  return (await adminHandlers['admin.group.remove_members'](ctx.admin, p)).result;
}

/** The last member out dissolves the group; an owner leaving hands it to the longest-standing member. */
export function leave(ctx: GatewayContext, caller: Caller, p: OpPayload<'group.leave'>) {
  return ctx.admin.writes.run([`group:${p.id}`], () => leaveGroup(ctx, caller, p));
}

async function leaveGroup(ctx: GatewayContext, caller: Caller, p: OpPayload<'group.leave'>) {
  const g = await groupOf(ctx, caller, p.id);
  if (!g.members.includes(caller.id)) throw new OpError('E_CONFLICT', `you are not in "${g.id}"`, 'payload.id');
  const rest = g.members.filter((id) => id !== caller.id);
  if (rest.length === 0) return (await adminHandlers['admin.group.dissolve'](ctx.admin, { id: g.id })).result;
  if (g.owner_id === caller.id) await ctx.m.Group.updateOne({ id: g.id }, { $set: { owner_id: rest[0]! } });
  const { result: { group } } = await adminHandlers['admin.group.remove_members'](ctx.admin, { id: g.id, members: [caller.id] });
  return { group: { ...group, owner_id: g.owner_id === caller.id ? rest[0]! : g.owner_id } };
}

export async function dissolve(ctx: GatewayContext, caller: Caller, p: OpPayload<'group.dissolve'>) {
  requireOwner(caller, await groupOf(ctx, caller, p.id));
  return (await adminHandlers['admin.group.dissolve'](ctx.admin, p)).result;
}
