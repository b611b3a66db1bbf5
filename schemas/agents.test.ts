import { describe, expect, it } from 'vitest';
import { AgentCallback, Handoff, Relay, Task, WorkflowRun } from './agents.js';
import { interactionId, parseInteractionId } from './interaction.js';
import { Event } from './events.js';

const task = {
  task_id: 't1', workflow_id: 'interaction:01J:a_finance', conversation_id: 'd:a_finance:u_li', approver_id: 'u_wang',
  requested_by: 'a_finance', asker_id: 'u_li', summary: 'Refund ¥3,000 for SO-1002', state: 'pending', created_at: 1, due_at: 2,
};
const handoff = {
  conversation_id: 'd:a_sales:u_li', human_id: 'u_wang', agent_id: 'a_sales', requested_by: 'u_li', asker_id: 'u_li', reason: '转人工',
  workflow_id: 'handoff:01J', state: 'active', since: 1,
};

describe('agent work documents', () => {
  it('accepts a workflow run with its hops and defaults hops to none', () => {
    const run = { workflow_id: 'w1', kind: 'interaction', conversation_id: 'g:g_sales', status: 'waiting', step: 'waiting for u_wang', started_at: 1, updated_at: 2 };
    expect(WorkflowRun.parse(run).hops).toEqual([]);
    const hop = { hop: 0, agent_id: 'a_sales', status: 'answered', started_at: 1, finished_at: 2, reply_msg_id: 'm1' };
    expect(WorkflowRun.safeParse({ ...run, hops: [hop] }).success).toBe(true);
    expect(WorkflowRun.safeParse({ ...run, status: 'sleeping' }).success).toBe(false);
    expect(WorkflowRun.safeParse({ ...run, conversation_id: 'x:1' }).success).toBe(false);
  });

  it('accepts a task with a decision, and refuses unknown states and decisions', () => {
    expect(Task.safeParse(task).success).toBe(true);
    expect(Task.safeParse({ ...task, state: 'approved', decision: { by: 'u_wang', decision: 'approve', ts: 3 } }).success).toBe(true);
    expect(Task.safeParse({ ...task, state: 'maybe' }).success).toBe(false);
    expect(Task.safeParse({ ...task, decision: { by: 'u_wang', decision: 'perhaps', ts: 3 } }).success).toBe(false);
    expect(Task.safeParse({ ...task, approver_id: 'u/wang' }).success).toBe(false);
  });

  it('accepts a hand-off and refuses one without a human', () => {
    expect(Handoff.safeParse(handoff).success).toBe(true);
    expect(Handoff.safeParse({ ...handoff, human_id: undefined }).success).toBe(false);
  });

  it('wants a relay to have between 1 and 10 steps, each with an agent', () => {
    const relay = { relay_id: 'refunds', version: 1, name: 'Refunds', steps: [{ agent_id: 'a_sales' }, { agent_id: 'a_finance', when: { contains: '退款' } }], created_by: 'u_wang', created_at: 1 };
    expect(Relay.safeParse(relay).success).toBe(true);
    expect(Relay.safeParse({ ...relay, steps: [] }).success).toBe(false);
    expect(Relay.safeParse({ ...relay, steps: Array.from({ length: 11 }, () => ({ agent_id: 'a_sales' })) }).success).toBe(false);
    expect(Relay.safeParse({ ...relay, version: 0 }).success).toBe(false);
  });

  it('wants a callback to carry a valid agent reply', () => {
    expect(AgentCallback.safeParse({ interaction_id: 'i1', agent_id: 'a_research', reply: { text: 'brief' } }).success).toBe(true);
    expect(AgentCallback.safeParse({ interaction_id: 'i1', agent_id: 'a_research', reply: {} }).success).toBe(false);
  });

  it('carries tasks and hand-offs as events', () => {
    expect(Event.safeParse({ v: 1, type: 'task', task }).success).toBe(true);
    expect(Event.safeParse({ v: 1, type: 'handoff', handoff }).success).toBe(true);
    expect(Event.safeParse({ v: 1, type: 'task', task: { ...task, state: 'lost' } }).success).toBe(false);
  });

  it('interaction ids name the workflow and the hop, and parse back', () => {
    const id = interactionId('interaction:01JD:a_sales', 2);
    expect(id).toBe('interaction:01JD:a_sales#2');
    expect(parseInteractionId(id)).toEqual({ workflow_id: 'interaction:01JD:a_sales', hop: 2 });
    expect(parseInteractionId('interaction:01JD:a_sales')).toBeUndefined();
    expect(parseInteractionId('#1')).toBeUndefined();
  });
});
