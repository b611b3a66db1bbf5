import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Handoff, Relay, Task, WorkflowRun } from '../schemas/agents.js';
import { MAX_RELAY_HOPS } from '../schemas/interaction.js';
import type { Message } from '../schemas/message.js';
import type { AgentReply, AgentRequest } from '../schemas/webhook.js';
import type { Activities } from '../activities/activities.js';
import type { CallbackSignal, CallOutcome, DecisionInput, EscalateInput, LiveState, PostInput } from '../schemas/workflow.js';
import { TEMPORAL_BIN } from '../scripts/servers/servers.js';
import type { agentInteraction } from './workflows.js';

/**
 * The workflows on the real Temporal dev server with our activities replaced by an in-memory
 * organisation: each scenario scripts its agents' answers and reads back what was posted.
 * With RECORD_HISTORIES=1 each scenario's history is saved for workflows/replay.test.ts.
 */
type Agent = (req: AgentRequest) => CallOutcome | Promise<CallOutcome>;

interface Scenario {
  agents: Record<string, Agent>;
  managers?: Record<string, string>;
  approvalMs?: number;
  /** How long a hand-off waits to be picked up (0, left out: never escalates). */
  pickupMs?: number;
  /** Who picks a hand-off up when asked whether they did. */
  pickedUpBy?: string;
  escalations?: EscalateInput[];
  /** Nobody to hand a conversation to. */
  noHuman?: boolean;
  busyFor?: number;
  relay?: Relay;
  /** openTask stores nothing until this settles; `opening` is the task it was asked for. */
  taskGate?: Promise<void>;
  opening?: string;
  posts: PostInput[];
  reports: WorkflowRun[];
  tasks: Task[];
  handoffs: Handoff[];
  requests: AgentRequest[];
}

const MESSAGE: Message = { msg_id: '', conversation_id: 'd:a_one:u_li', seq: 1, from: 'u_li', ts: 1, kind: 'text', client_msg_id: 'c1', body: { text: 'hi', mentions: [], attachments: [] } };
const scenarios = new Map<string, Scenario>();
// A hand-off's pickup watch (`{id}:pickup`) belongs to the scenario of the hand-off that started it.
const scenarioOf = () => scenarios.get((Context.current().info.workflowExecution?.workflowId ?? '').replace(/:pickup$/, ''))!;
const reply = (r: AgentReply): CallOutcome => ({ kind: 'reply', reply: r });
const info = (id: string) => ({ id, name: `Agent ${id}`, response_timeout_ms: 1_500 });

const activities: Activities = {
  async loadInteraction(input) {
    const s = scenarioOf();
    return {
      conversation_id: 'd:a_one:u_li',
      asker_id: 'u_li',
      agent: info(input.agent_id),
      handoff_active: false,
      ...(s.relay ? { relay: s.relay } : {}),
      request: {
        interaction_id: input.interaction_id, agent_id: input.agent_id,
        message: input.message ?? { ...MESSAGE, msg_id: 'scheduled', body: { ...MESSAGE.body, text: input.prompt?.text ?? '' } },
        context: { last_messages: [], asker: { id: 'u_li', name: 'Li', title: '', department: null, manager: null } },
      },
    };
  },
  async describeAgent(id) {
    return scenarioOf().agents[id] ? info(id) : null;
  },
  async takeAgentSlot() {
    const s = scenarioOf();
    if (!s.busyFor) return { ok: true };
    const wait = s.busyFor;
    s.busyFor = 0;
    return { ok: false, retryAfterMs: wait };
  },
  async callAgent({ agent_id, request }) {
    const s = scenarioOf();
    s.requests.push(request);
    return s.agents[agent_id]!(request);
  },
  async postMessage(input) {
    const s = scenarioOf();
    s.posts.push(input);
    return { msg_id: `m${s.posts.length}` };
  },
  async reportWorkflow(run) {
    scenarioOf().reports.push(run);
  },
  async openTask(input) {
    const s = scenarioOf();
    s.opening = input.task_id;
    await s.taskGate;
    const task: Task = { ...input, state: 'pending', created_at: Date.now(), due_at: Date.now() + (s.approvalMs ?? 60_000) };
    s.tasks.push(task);
    return task;
  },
  async announceTask() {},
  async decisionEvent(task) {
    return {
      type: 'approval_decided', task_id: task.task_id, summary: task.summary, decision: task.decision!.decision,
      ...(task.decision!.comment ? { comment: task.decision!.comment } : {}), approver: { id: task.decision!.by, name: `Name of ${task.decision!.by}` }, decided_at: task.decision!.ts,
    };
  },
  async decideTask({ task, decision }) {
    const decided: Task = {
      ...task, state: decision.decision === 'approve' ? 'approved' : 'rejected',
      decision: { by: decision.by, decision: decision.decision, ts: Date.now(), ...(decision.comment ? { comment: decision.comment } : {}) },
    };
    scenarioOf().tasks.push(decided);
    return decided;
  },
  async escalateTask({ task, task_id }) {
    const s = scenarioOf();
    const manager = s.managers?.[task.approver_id];
    s.tasks.push({ ...task, state: 'escalated' });
    if (!manager) return null;
    const next: Task = { ...task, task_id, approver_id: manager, escalated_from: task.task_id, created_at: Date.now(), due_at: Date.now() + (s.approvalMs ?? 60_000) };
    s.tasks.push(next);
    return next;
  },
  async openHandoff(input) {
    if (scenarioOf().noHuman) throw ApplicationFailure.nonRetryable('no manager or on-duty colleague to hand over to', 'NoHuman');
    const h: Handoff = { ...input, human_id: 'u_wang', state: 'active', since: Date.now() };
    scenarioOf().handoffs.push(h);
    return h;
  },
  async handoffPickupMs({ workflow_id, opened_by }) {
    return workflow_id === opened_by ? scenarioOf().pickupMs ?? 0 : 0;
  },
  async escalateHandoff(input) {
    const s = scenarioOf();
    (s.escalations ??= []).push(input);
    if (s.pickedUpBy === input.human_id) return { kind: 'picked_up' };
    const next = s.managers?.[input.human_id];
    if (!next) return { kind: 'nobody' };
    const h: Handoff = { ...s.handoffs.at(-1)!, human_id: next };
    s.handoffs.push(h);
    return { kind: 'escalated', handoff: h };
  },
};

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = 'workflows-test';

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: TEMPORAL_BIN } } });
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
    activities,
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

let counter = 0;
function scenario(agents: Record<string, Agent>, extra: Partial<Scenario> = {}) {
  const id = `wf-${++counter}-${Date.now()}`;
  const s: Scenario = { agents, posts: [], reports: [], tasks: [], handoffs: [], requests: [], ...extra };
  scenarios.set(id, s);
  return { id, s };
}

async function record(workflowId: string, name: string) {
  if (!process.env.RECORD_HISTORIES) return;
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  writeFileSync(new URL(`./histories/${name}.json`, import.meta.url), historyToJSON(history));
}

function interaction(id: string, agent_id = 'a_one', workflowTaskTimeout?: string) {
  return env.client.workflow.start<typeof agentInteraction>('agentInteraction', {
    taskQueue, workflowId: id, args: [{ agent_id, msg_id: id, message: { ...MESSAGE, msg_id: id } }], ...(workflowTaskTimeout ? { workflowTaskTimeout } : {}),
  });
}

async function until(check: () => boolean | Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const texts = (s: Scenario) => s.posts.map((p) => p.text ?? p.card?.title);

describe('agentInteraction', () => {
  it('posts the answer and completes', async () => {
    const { id, s } = scenario({ a_one: () => reply({ text: 'order SO-1 ships today' }) });
    const result: LiveState = await (await interaction(id)).result();
    expect(result).toMatchObject({ status: 'completed', step: 'done' });
    expect(texts(s)).toEqual(['order SO-1 ships today']);
    expect(s.posts[0]).toMatchObject({ from: 'a_one', agent_output: true });
    expect(s.reports.at(-1)).toMatchObject({ status: 'completed', hops: [{ hop: 0, agent_id: 'a_one', status: 'answered', reply_msg_id: 'm1' }] });
    await record(id, 'agentInteraction-answered');
  });

  it('relays to the next agent with the accumulated notes, each answer visible', async () => {
    const { id, s } = scenario({
      a_one: () => reply({ text: 'refund for SO-1: finance decides', next_agent: 'a_two' }),
      a_two: () => reply({ text: 'refund booked' }),
    });
    const result = await (await interaction(id)).result();
    expect(result.status).toBe('completed');
    expect(texts(s)).toEqual(['refund for SO-1: finance decides', 'refund booked']);
    expect(s.posts.map((p) => p.from)).toEqual(['a_one', 'a_two']);
    expect(s.requests[1]).toMatchObject({ agent_id: 'a_two', interaction_id: `${id}#1`, relay: { hop: 1, from_agent: 'a_one', notes: 'a_one: refund for SO-1: finance decides' } });
    expect(result.hops.map((h) => h.agent_id)).toEqual(['a_one', 'a_two']);
    await record(id, 'agentInteraction-relay');
  });

  it('stops politely at the hop limit', async () => {
    const { id, s } = scenario({ a_one: () => reply({ text: 'again', next_agent: 'a_one' }) });
    const result = await (await interaction(id)).result();
    expect(result.hops).toHaveLength(MAX_RELAY_HOPS);
    expect(result.step).toBe(`stopped after ${MAX_RELAY_HOPS} hops`);
    expect(s.posts.at(-1)).toMatchObject({ system: true });
    expect(s.posts.at(-1)!.text).toMatch(/stop here/);
    await record(id, 'agentInteraction-hop-limit');
  });

  it('tells the chat when the agent fails, never silence', async () => {
    const { id, s } = scenario({ a_one: () => { throw ApplicationFailure.nonRetryable('agent answered 400', 'AgentRejected'); } });
    const result = await (await interaction(id)).result();
    expect(result).toMatchObject({ status: 'failed', error: 'agent answered 400' });
    expect(texts(s)).toEqual(['Agent a_one is unavailable right now; please try again later.']);
    await record(id, 'agentInteraction-agent-unavailable');
  });

  it('says so when the next agent does not exist', async () => {
    const { id, s } = scenario({ a_one: () => reply({ text: 'over to you', next_agent: 'a_ghost' }) });
    const result = await (await interaction(id)).result();
    expect(result).toMatchObject({ status: 'failed', step: 'no agent a_ghost' });
    expect(texts(s)).toEqual(['over to you', 'I wanted to pass this on to "a_ghost", but no such agent is available.']);
    await record(id, 'agentInteraction-unknown-next-agent');
  });

  it('says once that the agent is busy, waits, then calls', async () => {
    const { id, s } = scenario({ a_one: () => reply({ text: 'done' }) }, { busyFor: 300 });
    const result = await (await interaction(id)).result();
    expect(result.status).toBe('completed');
    expect(texts(s)).toEqual(['Agent a_one is busy; your request is queued and will be answered shortly.', 'done']);
  });

  it('waits for an asynchronous answer (202 + callback)', async () => {
    const { id, s } = scenario({ a_one: () => ({ kind: 'accepted' }) });
    const handle = await interaction(id);
    await until(async () => (await handle.query<LiveState>('state')).status === 'waiting');
    // Wrong hop and wrong agent are ignored; the right one is taken.
    await handle.signal<[CallbackSignal]>('agentReply', { hop: 3, agent_id: 'a_one', reply: { text: 'wrong hop' } });
    await handle.signal<[CallbackSignal]>('agentReply', { hop: 0, agent_id: 'a_evil', reply: { text: 'forged' } });
    await handle.signal<[CallbackSignal]>('agentReply', { hop: 0, agent_id: 'a_one', reply: { text: 'later answer' } });
    expect((await handle.result()).status).toBe('completed');
    expect(texts(s)).toEqual(['later answer']);
    await record(id, 'agentInteraction-async-callback');
  });

  it('a question answered with nothing (204) is no answer', async () => {
    const { id, s } = scenario({ a_one: () => ({ kind: 'silent' }) });
    const result = await (await interaction(id)).result();
    expect(result).toMatchObject({ status: 'failed', error: 'agent answered 204 without a reply' });
    expect(texts(s)).toEqual(['Agent a_one is unavailable right now; please try again later.']);
  });

  it('reports the agent unavailable when no callback comes in time', async () => {
    const { id, s } = scenario({ a_one: () => ({ kind: 'accepted' }) });
    const result = await (await interaction(id)).result();
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/no callback/);
    expect(texts(s)).toEqual(['Agent a_one is unavailable right now; please try again later.']);
  });

  it('follows a named relay, step conditions included', async () => {
    const relay: Relay = {
      relay_id: 'refunds', version: 2, name: 'Refunds', created_by: 'u_wang', created_at: 1,
      steps: [{ agent_id: 'a_one' }, { agent_id: 'a_skip', when: { contains: 'fraud' } }, { agent_id: 'a_two', when: { contains: 'REFUND' } }],
    };
    const { id, s } = scenario({
      a_one: () => reply({ text: 'a refund is due' }),
      a_skip: () => reply({ text: 'should not run' }),
      a_two: () => reply({ text: 'refund booked' }),
    }, { relay });
    const result = await (await interaction(id)).result();
    expect(result.hops.map((h) => h.agent_id)).toEqual(['a_one', 'a_two']);
    expect(s.reports.at(-1)!.relay).toEqual({ relay_id: 'refunds', version: 2 });
    expect(texts(s)).toEqual(['a refund is due', 'refund booked']);
    await record(id, 'agentInteraction-named-relay');
  });
});

describe('approval', () => {
  const needsApproval = (next?: string) => reply({ text: 'refund of 5000 needs approval', needs_approval: { approver: 'u_zhang', summary: 'refund 5000' }, ...(next ? { next_agent: next } : {}) });
  /** Asks for approval, and follows up on the decision with what it heard. */
  const asksApproval = (next?: string): Agent => (req) =>
    req.event ? reply({ text: `heard: ${req.event.decision} by ${req.event.approver.name}${req.event.comment ? `, ${req.event.comment}` : ''}` }) : needsApproval(next);
  const decide = (by: string, decision: 'approve' | 'reject', task_id: string, comment?: string): DecisionInput =>
    ({ task_id, by, decision, via: 'mqtt', ...(comment ? { comment } : {}) });

  async function pendingTask(handle: Awaited<ReturnType<typeof interaction>>): Promise<Task> {
    await until(async () => (await handle.query<LiveState>('state')).pending_task !== undefined);
    return (await handle.query<LiveState>('state')).pending_task!;
  }

  it('waits for the approver; only they may decide; approval relays on', async () => {
    // a_two answers only once the second decision was tried: until then the workflow runs, so that
    // decision meets the decided task, not a finished workflow.
    let secondTried!: () => void;
    const tried = new Promise<void>((resolve) => (secondTried = resolve));
    const { id, s } = scenario({ a_one: asksApproval('a_two'), a_two: async () => (await tried, reply({ text: 'refund paid' })) });
    const handle = await interaction(id);
    const task = await pendingTask(handle);
    expect(task).toMatchObject({ approver_id: 'u_zhang', asker_id: 'u_li', requested_by: 'a_one', state: 'pending' });
    const stranger = await handle.executeUpdate('decide', { args: [decide('u_li', 'approve', task.task_id)] }).catch((e: unknown) => e);
    expect((stranger as { cause?: Error }).cause?.message).toMatch(/^E_FORBIDDEN/);
    const decided = await handle.executeUpdate<Task, [DecisionInput]>('decide', { args: [decide('u_zhang', 'approve', task.task_id, 'ok')] });
    expect(decided).toMatchObject({ state: 'approved', decision: { by: 'u_zhang', comment: 'ok' } });
    // Decided once: a second decision is refused.
    const again = await handle.executeUpdate('decide', { args: [decide('u_zhang', 'reject', task.task_id)] }).catch((e: unknown) => e);
    secondTried();
    expect((again as { cause?: Error }).cause?.message).toMatch(/^E_CONFLICT/);
    const result = await handle.result();
    expect(result.status).toBe('completed');
    // The agent hears the decision before the request goes on; its follow-up is posted as an answer.
    expect(texts(s)).toEqual(['refund of 5000 needs approval', 'heard: approve by Name of u_zhang, ok', 'refund paid']);
    expect(s.requests[1]).toMatchObject({
      agent_id: 'a_one', interaction_id: `${id}#1`, message: { msg_id: id },
      event: { type: 'approval_decided', task_id: task.task_id, summary: 'refund 5000', decision: 'approve', comment: 'ok', approver: { id: 'u_zhang' } },
    });
    expect(s.requests[1]!.relay).toBeUndefined();
    expect(s.requests[2]).toMatchObject({ agent_id: 'a_two', interaction_id: `${id}#2`, relay: { hop: 2, from_agent: 'a_one' } });
    expect(s.requests[2]!.event).toBeUndefined();
    expect(result.hops.map((h) => [h.agent_id, h.status, h.event])).toEqual([['a_one', 'answered', undefined], ['a_one', 'answered', 'approval_decided'], ['a_two', 'answered', undefined]]);
    expect(result.hops[1]!.reply_msg_id).toBe('m2');
    await record(id, 'agentInteraction-approved-follow-up');
  });

  /**
   * What a new worker re-running the step that asks meets: the task is stored and announced, a
   * decision comes, and it reaches the workflow before the wait does. Here the workflow task
   * heartbeats while openTask is held, and the update comes in on the heartbeat; then the task opens.
   */
  async function decideEarly(by: string, comment: string) {
    let open!: () => void;
    const { id, s } = scenario({ a_one: asksApproval() }, { taskGate: new Promise<void>((r) => (open = r)) });
    const handle = await interaction(id, 'a_one', '1 second');
    await until(() => s.opening !== undefined);
    const taskId = s.opening!;
    const answer = handle.executeUpdate<Task, [DecisionInput]>('decide', { args: [decide(by, 'approve', taskId, comment)] }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 2_000));
    open();
    return { id, handle, taskId, answer };
  }

  it('a decision that comes before its task is pending waits for it, then counts', async () => {
    const { id, handle, taskId, answer } = await decideEarly('u_zhang', 'early');
    expect(await answer).toMatchObject({ task_id: taskId, state: 'approved', decision: { comment: 'early' } });
    expect(await handle.result()).toMatchObject({ status: 'completed', step: 'done' });
    await record(id, 'agentInteraction-early-decision-follow-up');
  });

  it('an early decision by someone else is refused once the task is pending, and the approver still decides', async () => {
    const { handle, taskId, answer } = await decideEarly('u_li', 'not mine to give');
    expect(((await answer) as { cause?: Error }).cause?.message).toMatch(/^E_FORBIDDEN/);
    await handle.executeUpdate('decide', { args: [decide('u_zhang', 'reject', taskId)] });
    expect(await handle.result()).toMatchObject({ status: 'completed', step: 'rejected by u_zhang' });
  });

  it('ends on a rejection, once the agent has heard it and followed up', async () => {
    const { id, s } = scenario({ a_one: asksApproval('a_two'), a_two: () => reply({ text: 'never' }) });
    const handle = await interaction(id);
    const task = await pendingTask(handle);
    await handle.executeUpdate('decide', { args: [decide('u_zhang', 'reject', task.task_id, 'too much')] });
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'completed', step: 'rejected by u_zhang' });
    expect(s.requests.map((r) => r.agent_id)).toEqual(['a_one', 'a_one']);
    expect(s.requests[1]!.event).toMatchObject({ decision: 'reject', comment: 'too much' });
    expect(texts(s)).toEqual(['refund of 5000 needs approval', 'heard: reject by Name of u_zhang, too much']);
    expect(s.reports.at(-1)).toMatchObject({ status: 'completed', hops: [{ status: 'answered' }, { status: 'answered', event: 'approval_decided', reply_msg_id: 'm2' }] });
    await record(id, 'agentInteraction-rejected-follow-up');
  });

  it('a follow-up answered later (202, then the callback) is posted like any answer', async () => {
    const { id, s } = scenario({ a_one: (req) => (req.event ? { kind: 'accepted' } : needsApproval()) });
    const handle = await interaction(id);
    const task = await pendingTask(handle);
    await handle.executeUpdate('decide', { args: [decide('u_zhang', 'approve', task.task_id)] });
    await until(async () => (await handle.query<LiveState>('state')).step === 'waiting for a_one to answer');
    // The callback for the question's hop is not the follow-up's.
    await handle.signal<[CallbackSignal]>('agentReply', { hop: 0, agent_id: 'a_one', reply: { text: 'stale' } });
    await handle.signal<[CallbackSignal]>('agentReply', { hop: 1, agent_id: 'a_one', reply: { text: 'refund paid out' } });
    expect(await handle.result()).toMatchObject({ status: 'completed', step: 'done' });
    expect(texts(s)).toEqual(['refund of 5000 needs approval', 'refund paid out']);
    await record(id, 'agentInteraction-follow-up-async');
  });

  it('an agent that cannot hear the decision leaves it standing: a failed hop, and the request goes on', async () => {
    const { id, s } = scenario({
      a_one: (req) => { if (req.event) throw new Error('connect ECONNREFUSED 127.0.0.1:9'); return needsApproval('a_two'); },
      a_two: () => reply({ text: 'refund paid' }),
    });
    const handle = await interaction(id);
    const task = await pendingTask(handle);
    await handle.executeUpdate('decide', { args: [decide('u_zhang', 'approve', task.task_id)] });
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'completed', step: 'done' });
    expect(result.hops.map((h) => [h.agent_id, h.status])).toEqual([['a_one', 'answered'], ['a_one', 'failed'], ['a_two', 'answered']]);
    expect(result.hops[1]).toMatchObject({ event: 'approval_decided', error: expect.stringMatching(/ECONNREFUSED/) });
    // Retried as any call, then given up on, without a word in the chat: the decision is there.
    expect(s.requests.filter((r) => r.event)).toHaveLength(3);
    expect(texts(s)).toEqual(['refund of 5000 needs approval', 'refund paid']);
    expect(s.reports.at(-1)!.hops[1]).toMatchObject({ status: 'failed' });
    await record(id, 'agentInteraction-follow-up-failed');
  });

  it('a follow-up may say nothing (204), and may not ask again', async () => {
    const silent = scenario({ a_one: (req) => (req.event ? { kind: 'silent' } : needsApproval()) });
    const again = scenario({
      a_one: (req) => (req.event ? reply({ text: 'and another approval, please', needs_approval: { approver: 'u_zhang', summary: 'more' }, next_agent: 'a_one' }) : needsApproval()),
    });
    for (const { id } of [silent, again]) {
      const handle = await interaction(id);
      await handle.executeUpdate('decide', { args: [decide('u_zhang', 'reject', (await pendingTask(handle)).task_id)] });
      expect(await handle.result()).toMatchObject({ status: 'completed', step: 'rejected by u_zhang', hops: [{}, { status: 'answered', event: 'approval_decided' }] });
    }
    expect(texts(silent.s)).toEqual(['refund of 5000 needs approval']);
    expect(texts(again.s)).toEqual(['refund of 5000 needs approval', 'and another approval, please']);
    expect(again.s.tasks.map((t) => t.state)).toEqual(['pending', 'rejected']);
    await record(silent.id, 'agentInteraction-follow-up-silent');
  });

  it("escalates to the approver's manager when the approver does not answer in time", async () => {
    const { id, s } = scenario({ a_one: asksApproval() }, { approvalMs: 800, managers: { u_zhang: 'u_wang' } });
    const handle = await interaction(id);
    await until(async () => (await handle.query<LiveState>('state')).pending_task?.approver_id === 'u_wang');
    const task = (await handle.query<LiveState>('state')).pending_task!;
    expect(task.escalated_from).toBe(s.tasks[0]!.task_id);
    expect(s.tasks.map((t) => t.state)).toEqual(['pending', 'escalated', 'pending']);
    await handle.executeUpdate('decide', { args: [decide('u_wang', 'approve', task.task_id)] });
    expect((await handle.result()).status).toBe('completed');
    // The one who decided is who the agent hears from.
    expect(s.requests[1]!.event).toMatchObject({ task_id: task.task_id, approver: { id: 'u_wang' } });
    await record(id, 'agentInteraction-escalated-follow-up');
  });

  it('fails politely when nobody is left to escalate to', async () => {
    const { id, s } = scenario({ a_one: asksApproval() }, { approvalMs: 500 });
    const result = await (await interaction(id)).result();
    expect(result).toMatchObject({ status: 'failed', step: 'approval timed out' });
    // Nothing was decided, so there is nothing to tell the agent.
    expect(s.requests).toHaveLength(1);
  });
});

describe('scheduledPush', () => {
  it('asks the agent the prompt and posts the answer', async () => {
    const { id, s } = scenario({ a_one: (req) => reply({ text: `brief for ${req.message.body.text}` }) });
    const input = { schedule_id: 'daily', agent_id: 'a_one', conversation_id: 'g:g_sales', prompt: 'today', created_by: 'u_wang' };
    const result: LiveState = await env.client.workflow.execute('scheduledPush', { taskQueue, workflowId: id, args: [input] });
    expect(result.status).toBe('completed');
    expect(texts(s)).toEqual(['brief for today']);
    expect(s.reports[0]).toMatchObject({ kind: 'scheduled' });
    await record(id, 'scheduledPush');
  });
});

describe('hand-off', () => {
  it('hands over when the agent asks for a human', async () => {
    const { id, s } = scenario({ a_one: () => reply({ text: 'let me get a colleague', handoff: { reason: 'complaint' } }) });
    const result = await (await interaction(id)).result();
    expect(result).toMatchObject({ status: 'completed', step: 'handed over to u_wang' });
    expect(s.handoffs[0]).toMatchObject({ conversation_id: 'd:a_one:u_li', agent_id: 'a_one', requested_by: 'a_one', asker_id: 'u_li', reason: 'complaint', workflow_id: id });
    await record(id, 'agentInteraction-handoff');
  });

  it('tells the chat when nobody can take over', async () => {
    const { id, s } = scenario({ a_one: () => reply({ handoff: { reason: 'complaint' } }) }, { noHuman: true });
    const result = await (await interaction(id)).result();
    expect(result).toMatchObject({ status: 'failed', step: 'no human to hand over to' });
    expect(s.posts.at(-1)).toMatchObject({ system: true, text: 'Sorry, no colleague is available to take over right now; please try again later.' });
    await record(id, 'agentInteraction-handoff-no-human');
  });

  it('humanHandoff hands over when a person asks', async () => {
    const { id, s } = scenario({});
    const input = { conversation_id: 'd:a_one:u_li', agent_id: 'a_one', requested_by: 'u_li', asker_id: 'u_li', reason: 'asked for a human colleague' };
    const result: LiveState = await env.client.workflow.execute('humanHandoff', { taskQueue, workflowId: id, args: [input] });
    expect(result.status).toBe('completed');
    expect(s.handoffs).toHaveLength(1);
    expect(s.reports[0]).toMatchObject({ kind: 'handoff', started_by: 'u_li' });
    await record(id, 'humanHandoff');
  });

  it('humanHandoff escalates a hand-off nobody picks up, until someone does', async () => {
    const { id, s } = scenario({}, { pickupMs: 300, managers: { u_wang: 'u_boss' }, pickedUpBy: 'u_boss' });
    const input = { conversation_id: 'd:a_one:u_li', agent_id: 'a_one', requested_by: 'u_li', asker_id: 'u_li', reason: 'asked for a human colleague' };
    const result: LiveState = await env.client.workflow.execute('humanHandoff', { taskQueue, workflowId: id, args: [input] });
    // The person's request is answered at once; the watch runs on as a workflow of its own.
    expect(result).toMatchObject({ status: 'completed', step: 'handed over to u_wang' });
    const watched: LiveState = await env.client.workflow.getHandle(`${id}:pickup`).result();
    expect(watched).toMatchObject({ status: 'completed', step: 'picked up by u_boss' });
    expect(s.escalations).toEqual([
      { workflow_id: id, human_id: 'u_wang', tried: [], level: 0 },
      { workflow_id: id, human_id: 'u_boss', tried: ['u_wang'], level: 1 },
    ]);
    expect(s.handoffs.map((h) => h.human_id)).toEqual(['u_wang', 'u_boss']);
    expect(s.reports.filter((r) => r.workflow_id === `${id}:pickup`).map((r) => r.step)).toEqual([
      'waiting for u_wang to pick up', 'waiting for u_boss to pick up', 'picked up by u_boss',
    ]);
    await record(id, 'humanHandoff-pickup');
    await record(`${id}:pickup`, 'handoffPickup-escalated');
  });

  it('humanHandoff without a pickup time starts no watch', async () => {
    const { id, s } = scenario({});
    const input = { conversation_id: 'd:a_one:u_li', agent_id: 'a_one', requested_by: 'u_li', asker_id: 'u_li', reason: 'asked for a human colleague' };
    await env.client.workflow.execute('humanHandoff', { taskQueue, workflowId: id, args: [input] });
    await expect(env.client.workflow.getHandle(`${id}:pickup`).describe()).rejects.toThrow();
    expect(s.escalations).toBeUndefined();
  });
});
