import { parseConversationId, type AdminPayload, type Group } from '../../schemas/index.js';
import type { Caller } from '../caller.js';
import { OpError } from '../errors.js';
import type { AdminContext, Outcome, ScheduleControl } from './context.js';


function control(ctx: AdminContext): ScheduleControl {
  if (!ctx.schedules) throw new OpError('E_UNAVAILABLE', 'schedules are not available on this gateway');
  return ctx.schedules;
}

/** The agent must be active and take part in the conversation it will post to. */
async function checkTarget(ctx: AdminContext, agentId: string, conversationId: string): Promise<void> {
  if (!(await ctx.m.Employee.exists({ id: agentId, is_ai_agent: true, status: 'active' }))) {
    throw new OpError('E_NOT_FOUND', `no active agent "${agentId}"`, 'payload.agent_id');
  }
  const ref = parseConversationId(conversationId)!;
  const member = ref.kind === 'direct'
    ? ref.members.includes(agentId)
    : ((await ctx.m.Group.findOne({ id: ref.groupId, dissolved: false }, { members: 1 }).lean<Pick<Group, 'members'>>())?.members ?? []).includes(agentId);
  if (!member) throw new OpError('E_NOT_FOUND', `"${agentId}" is not in ${conversationId}`, 'payload.conversation_id');
}

export async function createSchedule(ctx: AdminContext, p: AdminPayload<'admin.schedule.create'>, actor: Caller): Promise<Outcome<'admin.schedule.create'>> {
  await checkTarget(ctx, p.agent_id, p.conversation_id);
  const schedule = await control(ctx).create({ ...p, created_by: actor.id, paused: false });
  return { result: { schedule }, target: p.schedule_id, after: schedule };
}

export async function pauseSchedule(ctx: AdminContext, p: AdminPayload<'admin.schedule.pause'>, actor: Caller): Promise<Outcome<'admin.schedule.pause'>> {
  const schedule = await control(ctx).pause(p.schedule_id, p.paused, actor.id);
  return { result: { schedule }, target: p.schedule_id, after: { paused: p.paused } };
}

export async function listSchedules(ctx: AdminContext): Promise<Outcome<'admin.schedule.list'>> {
  const schedules = await control(ctx).list();
  return { result: { schedules }, target: null, after: { count: schedules.length } };
}
