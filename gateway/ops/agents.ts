import { ulid } from 'ulid';
import {
  conversationTopics, offeredSkills, parseConversationId, topics, type AuditEntry, type Employee, type Event, type Handoff, type OpPayload,
  type Notice, type Task, type WorkflowRun,
} from '../../schemas/index.js';
import { orgCache } from '../../store/org-cache.js';
import type { Caller } from '../caller.js';
import type { GatewayContext } from '../context.js';
import { OpError } from '../errors.js';
import { conversationAccess } from './conversations.js';

/** Each skill active agents offer (or the one asked for), with its card and its agents. */
export async function capabilities(ctx: GatewayContext, _caller: Caller, p: OpPayload<'agent.capabilities'>) {
  // All active agents: few, and a skill's id may be derived from its name (capabilityId).
  const agents = await ctx.m.Employee.find({ is_ai_agent: true, status: 'active' }, { _id: 0 }).lean<Employee[]>();
  return { capabilities: offeredSkills(agents).filter((s) => !p.skill || s.skill === p.skill) };
}

export async function listTasks(ctx: GatewayContext, caller: Caller, p: OpPayload<'task.list'>) {
  const tasks = await ctx.m.Task.find({ approver_id: caller.id, state: p.state ?? 'pending' }, { _id: 0 })
    .sort({ created_at: -1 })
    .limit(200)
    .lean<Task[]>();
  return { tasks };
}

/**
 * Only the approver decides, once; the workflow's own validator checks the same again. The same
 * decision sent again answers with the decided task: that is how a client learns the outcome of a
 * decision that was answered E_UNAVAILABLE.
 */
export async function decideTask(ctx: GatewayContext, caller: Caller, p: OpPayload<'task.decide'>, via: AuditEntry['via'] = 'mqtt') {
  const task = await ctx.m.Task.findOne({ task_id: p.task_id }, { _id: 0 }).lean<Task>();
  if (!task) throw new OpError('E_NOT_FOUND', `no task "${p.task_id}"`, 'payload.task_id');
  if (task.approver_id !== caller.id) throw new OpError('E_FORBIDDEN', `only ${task.approver_id} may decide this task`, 'payload.task_id');
  if (task.state !== 'pending') {
    if (task.decision?.by === caller.id && task.decision.decision === p.decision) return { task };
    throw new OpError('E_CONFLICT', `the task is ${task.state} already`, 'payload.task_id');
  }
  const decided = await ctx.work.decide(task, {
    task_id: task.task_id, by: caller.id, decision: p.decision, via, ...(p.comment ? { comment: p.comment } : {}),
  });
  return { task: decided };
}

export async function listWorkflows(ctx: GatewayContext, caller: Caller, p: OpPayload<'workflow.list'>) {
  await conversationAccess(ctx.m, caller, p.conversation_id, 'payload.conversation_id');
  const workflows = await ctx.m.WorkflowRun.find({ conversation_id: p.conversation_id }, { _id: 0 })
    .sort({ started_at: -1 })
    .limit(p.limit)
    .lean<WorkflowRun[]>();
  return { workflows };
}

/** The mirror, and the workflow's own answer while it is still running. */
export async function getWorkflow(ctx: GatewayContext, caller: Caller, p: OpPayload<'workflow.get'>) {
  const run = await ctx.m.WorkflowRun.findOne({ workflow_id: p.workflow_id }, { _id: 0 }).lean<WorkflowRun>();
  if (!run) throw new OpError('E_NOT_FOUND', `no workflow "${p.workflow_id}"`, 'payload.workflow_id');
  await conversationAccess(ctx.m, caller, run.conversation_id, 'payload.workflow_id');
  const finished = run.status === 'completed' || run.status === 'failed';
  const live = finished ? undefined : await ctx.work.liveState(run.workflow_id);
  return { workflow: live ? { ...run, live } : run };
}

/**
 * The agent a hand-off is from: the agent of a direct chat, or in a group the agent that
 * answered last.
 */
async function conversationAgent(ctx: GatewayContext, conversationId: string, caller: Caller): Promise<string | undefined> {
  const ref = parseConversationId(conversationId)!;
  if (ref.kind === 'direct') {
    const peer = ref.members.find((id) => id !== caller.id)!;
    return (await ctx.m.Employee.exists({ id: peer, is_ai_agent: true })) ? peer : undefined;
  }
  const last = await ctx.m.WorkflowRun.findOne({ conversation_id: conversationId, kind: 'interaction' }, { _id: 0, hops: 1 })
    .sort({ started_at: -1 })
    .lean<Pick<WorkflowRun, 'hops'>>();
  return last?.hops.at(-1)?.agent_id;
}

/**
 * Asking again for a hand-off one asked for answers with it: that is how a client learns the
 * outcome of a request that was answered E_UNAVAILABLE (the hand-off may have gone ahead).
 */
export async function requestHandoff(ctx: GatewayContext, caller: Caller, p: OpPayload<'handoff.request'>) {
  await conversationAccess(ctx.m, caller, p.conversation_id, 'payload.conversation_id');
  const active = await ctx.m.Handoff.findOne({ conversation_id: p.conversation_id, state: 'active' }, { _id: 0 }).lean<Handoff>();
  if (active?.requested_by === caller.id) return { handoff: active };
  if (active) throw new OpError('E_CONFLICT', 'this conversation is already with a human colleague', 'payload.conversation_id');
  const agent = await conversationAgent(ctx, p.conversation_id, caller);
  if (!agent) throw new OpError('E_CONFLICT', 'no agent takes part in this conversation', 'payload.conversation_id');
  const workflowId = `handoff:${p.conversation_id}:${ulid()}`;
  await ctx.work.handoff(workflowId, {
    conversation_id: p.conversation_id, agent_id: agent, requested_by: caller.id, asker_id: caller.id,
    reason: p.reason ?? 'asked for a human colleague',
  });
  const handoff = await ctx.m.Handoff.findOne({ conversation_id: p.conversation_id, state: 'active' }, { _id: 0 }).lean<Handoff>();
  if (!handoff) throw new OpError('E_CONFLICT', 'no colleague is available to take over right now', 'payload.conversation_id');
  return { handoff };
}

/** The human who took over, or the person it was for, gives the conversation back to its agents. */
export function releaseHandoff(ctx: GatewayContext, caller: Caller, p: OpPayload<'handoff.release'>) {
  // The key the worker holds while it opens a hand-off: two releases, or a release and an opening, never interleave.
  return ctx.writes.run([`handoff:${p.conversation_id}`], () => release(ctx, caller, p));
}

async function release(ctx: GatewayContext, caller: Caller, p: OpPayload<'handoff.release'>) {
  const active = await ctx.m.Handoff.findOne({ conversation_id: p.conversation_id, state: 'active' }, { _id: 0 }).lean<Handoff>();
  if (!active) throw new OpError('E_NOT_FOUND', 'this conversation is not handed off', 'payload.conversation_id');
  if (caller.id !== active.human_id && caller.id !== active.asker_id) {
    throw new OpError('E_FORBIDDEN', 'only the colleague who took over, or the person asking, may release it', 'payload.conversation_id');
  }
  const released: Handoff = { ...active, state: 'released', released_at: Date.now(), released_by: caller.id };
  const { matchedCount } = await ctx.m.Handoff.updateOne(
    { workflow_id: active.workflow_id, state: 'active' },
    { $set: { state: 'released', released_at: released.released_at, released_by: caller.id } },
  );
  if (matchedCount === 0) throw new OpError('E_CONFLICT', 'released by someone else just now', 'payload.conversation_id');
  const ref = parseConversationId(p.conversation_id)!;
  const event = { v: 1, type: 'handoff', handoff: released } satisfies Event;
  const targets = new Set([...conversationTopics(ref), topics.inbox(active.human_id)]);
  await Promise.all([...targets].map((t) => ctx.publisher.publish(t, event, { qos: 1 })));
  if (active.agent_id) {
    const { message, created } = await ctx.store.store({
      conversation_id: p.conversation_id,
      members: ref.kind === 'direct' ? ref.members : [],
      from: active.agent_id,
      kind: 'system',
      // The notice goes through like the workflows' own (activities/common.ts): msg.send never takes one.
      body: {
        text: `The conversation was handed back by ${(await orgCache(ctx.m).employee(caller.id))?.name ?? caller.id}; I am answering here again.`,
        mentions: [], attachments: [], ...{ notice: { kind: 'handoff_released', released_by: caller.id } satisfies Notice },
      },
      client_msg_id: `release-${ulid()}`,
      workflow_id: active.workflow_id,
    });
    if (created) await Promise.all(conversationTopics(ref).map((t) => ctx.publisher.publish(t, { v: 1, type: 'message', msg: message }, { qos: 1 })));
  }
  return { handoff: released };
}
