import type { Handoff, Message, Task, WorkflowRun } from '../../../schemas/index.js';

/** A stored text message in `g:ops` (or `conversation_id`), as the gateway would deliver it. */
export function message(seq: number, over: Partial<Message> = {}): Message {
  return {
    msg_id: `m${seq}`,
    conversation_id: 'g:ops',
    seq,
    from: 'u_li',
    ts: 1_764_000_000_000 + seq * 1000,
    kind: 'text',
    body: { text: `message ${seq}`, mentions: [], attachments: [] },
    client_msg_id: `c${seq}`,
    ...over,
  };
}

/** A workflow document of `g:ops`, one answered hop, as `workflow.get` would return it. */
export function workflowRun(workflow_id: string, over: Partial<WorkflowRun> = {}): WorkflowRun {
  return {
    workflow_id,
    kind: 'interaction',
    conversation_id: 'g:ops',
    status: 'running',
    step: 'calling a_sales',
    hops: [{ hop: 0, agent_id: 'a_sales', status: 'calling', started_at: 1_764_000_000_000 }],
    started_at: 1_764_000_000_000,
    updated_at: 1_764_000_000_000,
    ...over,
  };
}

/** A pending approval for u_wang, asked by a_sales on u_li's behalf. */
export function task(task_id: string, over: Partial<Task> = {}): Task {
  return {
    task_id,
    workflow_id: 'wf-1',
    conversation_id: 'g:ops',
    approver_id: 'u_wang',
    requested_by: 'a_sales',
    asker_id: 'u_li',
    summary: 'Discount of 15% on SO-1001',
    state: 'pending',
    created_at: 1_764_000_000_000,
    due_at: 1_764_000_600_000,
    ...over,
  };
}

/** An active hand-off of u_li's chat with a_sales to u_wang. */
export function handoff(over: Partial<Handoff> = {}): Handoff {
  return {
    conversation_id: 'd:a_sales:u_li',
    human_id: 'u_wang',
    agent_id: 'a_sales',
    requested_by: 'u_li',
    asker_id: 'u_li',
    reason: 'wants a person',
    workflow_id: 'handoff:1',
    state: 'active',
    since: 1_764_000_000_000,
    ...over,
  };
}
