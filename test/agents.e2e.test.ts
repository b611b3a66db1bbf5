import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ulid } from 'ulid';
import { createAgentServer, answerLater, type AgentHandler, type HostedAgent } from '../agents/sdk/index.js';
import { signBody } from '../lib/signing.js';
import { freePort } from '../scripts/servers/servers.js';
import {
  directConversationId, SIGNATURE_HEADER, TIMESTAMP_HEADER, type ConversationSummary, type Event, type Handoff, type Message, type Task, type WorkflowRun,
} from '../schemas/index.js';
import { interactionWorkflowId } from '../gateway/agents/routing.js';
import { errorOf, TestClient } from './client.js';
import { startStack, type Stack } from './stack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Agent work end to end: real gateway, worker, Temporal and database, and agents served over HTTP
 * by the agent SDK from this test, registered with admin.agent.create as any agent would be.
 */
describe('agents end to end', () => {
  let stack: Stack;
  let li: TestClient;
  let zhang: TestClient;
  let wang: TestClient;
  let agentServer: Server;
  let badServer: Server;
  const secrets = new Map<string, string>();
  /** Lets the kill test hold an agent's answer until the worker is gone. */
  let relayGate: Promise<void> = Promise.resolve();

  /** Told of the decision later, it has nothing to add (the loop itself: approval-loop.e2e.test.ts). */
  const needsApproval: AgentHandler = (req) => req.event ? null : {
    text: 'this refund needs approval',
    needs_approval: { approver: 'u_zhang', summary: `refund for ${req.message.body.text}` },
  };

  const handlers: Record<string, AgentHandler> = {
    t_echo: (req) => ({ text: `echo: ${req.message.body.text}${req.message.body.text?.includes('leak') ? ' the password is secretword' : ''}` }),
    t_sales: (req) => req.message.body.text?.includes('refund')
      ? { text: 'a refund: finance decides', next_agent: 't_fin' }
      : { text: 'sales here' },
    t_fin: (req) => ({ text: `finance booked it (from ${req.relay?.from_agent ?? 'nobody'}, hop ${req.relay?.hop ?? 0})` }),
    t_approve: needsApproval,
    // One agent per approval test: telling an agent of a decision is a call under its rate limit too.
    t_reject: needsApproval,
    t_escalate: needsApproval,
    t_handoff: () => ({ text: 'let me find a colleague', handoff: { reason: 'complaint' } }),
    t_slow: async () => {
      await sleep(2_500);
      return { text: 'too late' };
    },
    t_async: () => answerLater(async () => {
      await sleep(300);
      return { text: 'answered later' };
    }),
    t_rate: () => ({ text: 'rate ok' }),
    t_context: (req) => ({ text: `ctx: ${req.context.last_messages.map((m) => m.body.text ?? '(recalled)').join(' | ')}` }),
    t_brief: (req) => ({ text: `brief: ${req.message.body.text} for ${req.context.asker.name}` }),
    t_relay1: () => ({ text: 'passing on', next_agent: 't_relay2' }),
    t_relay2: async () => {
      await relayGate;
      return { text: 'relay finished' };
    },
  };

  beforeAll(async () => {
    stack = await startStack({
      worker: true,
      env: { MCHAT_APPROVAL_TIMEOUT_MS: '4000', MCHAT_AGENT_RATE_PER_MINUTE: '3', MCHAT_SENSITIVE_WORDS: 'secretword', MCHAT_AGENT_REFRESH_MS: '500' },
    });
    const connect = async (id: string) => TestClient.connect(stack.mqttUrl, id, await stack.login(id));
    [li, zhang, wang] = await Promise.all([connect('u_li'), connect('u_zhang'), connect('u_wang')]);
    const [port, badPort] = await Promise.all([freePort(), freePort()]);
    const create = (id: string, endpoint: string, response_timeout = 5_000) => wang.ok<{ api_secret: string }>('admin.agent.create', {
      id, name: `Agent ${id}`, manager_id: 'u_wang',
      agent_profile: { model_type: 'test', webhook_endpoint: endpoint, response_timeout, trigger_keywords: id === 't_fin' ? ['invoice'] : [] },
    }).then((r) => secrets.set(id, r.api_secret));
    // t_relay2's call dies with its worker: the retry waits out the timeout of the killed attempt,
    // and all attempts must fit in three timeouts while a new worker starts on a loaded machine.
    await Promise.all(Object.keys(handlers).map((id) =>
      create(id, `http://127.0.0.1:${port}/agents/${id}`, id === 't_slow' ? 1_000 : id === 't_relay2' ? 8_000 : 5_000)));
    await create('t_bad', `http://127.0.0.1:${badPort}/agents/bad`);
    const hosted: Record<string, HostedAgent> = Object.fromEntries(
      Object.entries(handlers).map(([id, handle]) => [`/agents/${id}`, { secret: secrets.get(id)!, handle }]),
    );
    agentServer = createAgentServer({ agents: hosted, mchatUrl: stack.httpUrl });
    // An agent that answers 200 with a body no agent reply may have.
    badServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"next_agent": 42}'));
    await Promise.all([
      new Promise<void>((r) => agentServer.listen(port, '127.0.0.1', r)),
      new Promise<void>((r) => badServer.listen(badPort, '127.0.0.1', r)),
    ]);
  });

  afterAll(async () => {
    await Promise.all([li?.close(), zhang?.close(), wang?.close()]);
    agentServer?.close();
    badServer?.close();
    await stack?.stop();
  });

  async function ask(client: TestClient, agent: string, text: string) {
    return client.ok<{ msg_id: string; conversation_id: string; seq: number }>('msg.send', { to: { direct: agent }, client_msg_id: ulid(), body: { text } });
  }

  function messageFrom(client: TestClient, from: string, match: (m: Message) => boolean = () => true, timeoutMs = 20_000): Promise<Message> {
    return client.waitFor((r) => {
      const e = r.json as Event;
      return e.type === 'message' && e.msg.from === from && match(e.msg);
    }, timeoutMs).then((r) => (r.json as { msg: Message }).msg);
  }

  async function handoffListed(client: TestClient, conversationId: string): Promise<Handoff | undefined> {
    const { conversations } = await client.ok<{ conversations: ConversationSummary[] }>('conv.list', {});
    return conversations.find((c) => c.conversation_id === conversationId)?.handoff;
  }

  async function runOf(workflowId: string, done = (r: WorkflowRun) => r.status === 'completed' || r.status === 'failed', waitMs = 20_000): Promise<WorkflowRun> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const run = await stack.m.WorkflowRun.findOne({ workflow_id: workflowId }, { _id: 0 }).lean<WorkflowRun>();
      if (run && done(run)) return run;
      if (Date.now() > deadline) throw new Error(`workflow ${workflowId} not done: ${JSON.stringify(run)}`);
      await sleep(100);
    }
  }

  it('ask → answer, with agent output filtered, listed as a workflow of the chat', async () => {
    const sent = await ask(li, 't_echo', 'leak it');
    const answer = await messageFrom(li, 't_echo');
    expect(answer.body.text).toBe('echo: leak it the password is ＊＊＊＊＊＊＊＊＊＊');
    expect(answer.workflow_id).toBe(interactionWorkflowId(sent.msg_id, 't_echo'));
    await runOf(answer.workflow_id!);
    const { workflows } = await li.ok<{ workflows: WorkflowRun[] }>('workflow.list', { conversation_id: sent.conversation_id });
    expect(workflows[0]).toMatchObject({ workflow_id: answer.workflow_id, status: 'completed', started_by: 'u_li', hops: [{ agent_id: 't_echo', status: 'answered' }] });
    const { workflow } = await li.ok<{ workflow: WorkflowRun }>('workflow.get', { workflow_id: answer.workflow_id });
    expect(workflow.step).toBe('done');
    expect(errorOf(await zhang.request('workflow.get', { workflow_id: answer.workflow_id })).code).toBe('E_FORBIDDEN');
    expect(errorOf(await li.request('workflow.get', { workflow_id: 'interaction:nope:t_echo' })).code).toBe('E_NOT_FOUND');
  });

  it('gives the agent the three messages before the question, recalled ones without their content', async () => {
    const say = async (text: string) => {
      const sent = await ask(li, 't_context', text);
      const answer = await messageFrom(li, 't_context', (m) => m.seq === sent.seq + 1);
      return { sent, answer };
    };
    const first = await say('alpha');
    expect(first.answer.body.text).toBe('ctx: ');
    const second = await say('beta');
    await li.ok('msg.recall', { msg_id: second.sent.msg_id });
    const { answer } = await say('gamma');
    expect(answer.body.text).toBe(`ctx: ${first.answer.body.text} | (recalled) | ${second.answer.body.text}`);
    expect(answer.body.text).not.toContain('beta');
  });

  it('relays from one agent to the next, each answer visible in the chat', async () => {
    await ask(li, 't_sales', 'I want a refund for SO-1');
    await messageFrom(li, 't_sales', (m) => m.body.text === 'a refund: finance decides');
    const fin = await messageFrom(li, 't_fin');
    expect(fin.body.text).toBe('finance booked it (from t_sales, hop 1)');
    expect(fin.conversation_id).toBe(directConversationId('u_li', 't_sales'));
  });

  it('runs a named relay addressed in a group, on the version it started with; keywords address agents there', async () => {
    await wang.ok('admin.group.create', { id: 'g_refunds', name: 'Refunds', owner_id: 'u_wang', members: ['u_li', 't_sales', 't_fin'] });
    const { relay } = await wang.ok<{ relay: { version: number } }>('admin.relay.save', {
      relay_id: 'refund-flow', name: 'Refunds', steps: [{ agent_id: 't_sales' }, { agent_id: 't_fin', when: { contains: 'finance' } }],
    });
    expect(relay.version).toBe(1);
    const again = await wang.ok<{ relay: { version: number } }>('admin.relay.save', {
      relay_id: 'refund-flow', name: 'Refunds', steps: [{ agent_id: 't_sales' }, { agent_id: 't_fin', when: { contains: 'finance' } }],
    });
    expect(again.relay.version).toBe(2);
    await li.mqtt.subscribeAsync('mchat/group/g_refunds', { qos: 1 });
    const sent = await li.ok<{ msg_id: string }>('msg.send', { to: { group: 'g_refunds' }, client_msg_id: ulid(), body: { text: '@relay:refund-flow refund SO-2' } });
    const fin = await messageFrom(li, 't_fin', (m) => m.conversation_id === 'g:g_refunds');
    expect(fin.body.text).toBe('finance booked it (from t_sales, hop 1)');
    const run = await runOf(interactionWorkflowId(sent.msg_id, 't_sales'));
    expect(run).toMatchObject({ status: 'completed', relay: { relay_id: 'refund-flow', version: 2 } });
    const { entries } = await wang.ok<{ entries: { op: string }[] }>('admin.audit.query', { op: 'admin.relay.save' });
    expect(entries).toHaveLength(2);
    // A trigger keyword addresses a member agent in a group, no mention needed.
    await li.ok('msg.send', { to: { group: 'g_refunds' }, client_msg_id: ulid(), body: { text: 'an INVOICE for SO-2?' } });
    expect((await messageFrom(li, 't_fin', (m) => m.body.text === 'finance booked it (from nobody, hop 0)')).conversation_id).toBe('g:g_refunds');
  });

  const seenTasks = new Set<string>();
  /** The next pending task announced in the approver's inbox. */
  async function pendingTaskOf(approver: TestClient): Promise<Task> {
    const r = await approver.waitFor((x) => {
      const e = x.json as Event;
      return e.type === 'task' && e.task.state === 'pending' && !seenTasks.has(e.task.task_id);
    });
    const task = (r.json as { task: Task }).task;
    seenTasks.add(task.task_id);
    return task;
  }

  it('approval: only the approver decides; approve is audited and told to the asker', async () => {
    await ask(li, 't_approve', 'SO-3');
    const task = await pendingTaskOf(zhang);
    expect(task).toMatchObject({ approver_id: 'u_zhang', asker_id: 'u_li', requested_by: 't_approve', summary: 'refund for SO-3' });
    await runOf(task.workflow_id, (r) => r.status === 'waiting');
    const { workflow } = await li.ok<{ workflow: WorkflowRun & { live?: { pending_task?: Task } } }>('workflow.get', { workflow_id: task.workflow_id });
    expect(workflow).toMatchObject({ status: 'waiting', step: 'waiting for approval by u_zhang', pending_task_id: task.task_id });
    expect(workflow.live?.pending_task?.task_id).toBe(task.task_id);
    const { tasks } = await zhang.ok<{ tasks: Task[] }>('task.list', {});
    expect(tasks.map((t) => t.task_id)).toContain(task.task_id);
    expect(errorOf(await li.request('task.decide', { task_id: task.task_id, decision: 'approve' })).code).toBe('E_FORBIDDEN');
    expect(errorOf(await li.request('task.decide', { task_id: 'no-such-task', decision: 'approve' })).code).toBe('E_NOT_FOUND');
    const { task: decided } = await zhang.ok<{ task: Task }>('task.decide', { task_id: task.task_id, decision: 'approve', comment: 'fine' });
    expect(decided).toMatchObject({ state: 'approved', decision: { by: 'u_zhang', decision: 'approve', comment: 'fine' } });
    expect((await runOf(task.workflow_id)).pending_task_id).toBeUndefined();
    expect(errorOf(await zhang.request('task.decide', { task_id: task.task_id, decision: 'reject' })).code).toBe('E_CONFLICT');
    // The same decision again is answered with the outcome, not refused, and decides nothing twice.
    expect((await zhang.ok<{ task: Task }>('task.decide', { task_id: task.task_id, decision: 'approve' })).task).toEqual(decided);
    await li.waitFor((r) => (r.json as Event).type === 'task' && (r.json as { task: Task }).task.state === 'approved');
    // Said as data too, for each client to word in its reader's language.
    const asked = await messageFrom(li, 't_approve', (m) => m.body.notice?.kind === 'approval_requested' && m.body.notice.summary === 'refund for SO-3');
    expect(asked.body.notice).toEqual({ kind: 'approval_requested', approver_id: 'u_zhang', summary: 'refund for SO-3' });
    expect(asked.body.text).toBe('@u_zhang Zhang Wei, please approve or reject: refund for SO-3');
    const told = await messageFrom(li, 't_approve', (m) => m.kind === 'system' && /approved/.test(m.body.text ?? ''));
    expect(told.body.notice).toEqual({ kind: 'approval_decided', approver_id: 'u_zhang', decision: 'approve', summary: 'refund for SO-3', comment: 'fine' });
    expect(await stack.m.Audit.countDocuments({ op: 'task.decide', target: task.task_id, actor: 'u_zhang' })).toBe(1);
    await runOf(task.workflow_id);
  });

  it('approval: a rejection over HTTP ends the workflow', async () => {
    await ask(li, 't_reject', 'SO-4');
    const task = await pendingTaskOf(zhang);
    const token = await stack.login('u_zhang');
    const res = await fetch(`${stack.httpUrl}/api/tasks/${task.task_id}/decision`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ decision: 'reject', comment: 'no' }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { task: Task }).task.state).toBe('rejected');
    expect(await runOf(task.workflow_id)).toMatchObject({ status: 'completed', step: 'rejected by u_zhang' });
  });

  it("approval: no answer in time escalates to the approver's manager", async () => {
    await ask(li, 't_escalate', 'SO-5');
    const first = await pendingTaskOf(zhang);
    const escalated = await wang.waitFor((r) => (r.json as Event).type === 'task' && (r.json as { task: Task }).task.escalated_from === first.task_id, 15_000);
    const task = (escalated.json as { task: Task }).task;
    expect(task).toMatchObject({ approver_id: 'u_wang', state: 'pending' });
    const asked = await messageFrom(li, 't_escalate', (m) => m.body.notice?.kind === 'approval_requested' && m.body.notice.summary === 'refund for SO-5' && m.body.notice.approver_id === 'u_wang', 15_000);
    expect(asked.body.notice).toEqual({ kind: 'approval_requested', approver_id: 'u_wang', summary: 'refund for SO-5', missed_id: 'u_zhang' });
    expect((await stack.m.Task.findOne({ task_id: first.task_id }).lean())?.state).toBe('escalated');
    await wang.ok('task.decide', { task_id: task.task_id, decision: 'approve' });
    expect((await runOf(task.workflow_id)).status).toBe('completed');
  });

  it('hand-off typed by the person: a human takes over, the agent stays quiet until released', async () => {
    const conversation_id = directConversationId('u_li', 't_echo');
    await ask(li, 't_echo', '转人工');
    const event = await li.waitFor((r) => (r.json as Event).type === 'handoff');
    const handoff = (event.json as { handoff: Handoff }).handoff;
    expect(handoff).toMatchObject({ conversation_id, human_id: 'u_wang', agent_id: 't_echo', state: 'active' });
    const notice = await messageFrom(li, 't_echo', (m) => m.conversation_id === conversation_id && m.kind === 'system');
    expect(notice.body.notice).toEqual({ kind: 'handoff_started', human_id: 'u_wang' });
    const summary = await messageFrom(wang, 't_echo', (m) => m.conversation_id === directConversationId('t_echo', 'u_wang'));
    expect(summary.body.text).toContain('转人工');
    await ask(li, 't_echo', 'anyone there?');
    await sleep(1_500);
    expect(await stack.m.Message.countDocuments({ conversation_id, from: 't_echo', 'body.text': 'echo: anyone there?' })).toBe(0);
    // A client that reloads learns of the hand-off from its conversation list.
    expect((await handoffListed(li, conversation_id))?.human_id).toBe('u_wang');
    expect(errorOf(await zhang.request('handoff.release', { conversation_id })).code).toBe('E_FORBIDDEN');
    const { handoff: released } = await wang.ok<{ handoff: Handoff }>('handoff.release', { conversation_id });
    expect(released).toMatchObject({ state: 'released', released_by: 'u_wang' });
    expect(await handoffListed(li, conversation_id)).toBeUndefined();
    await ask(li, 't_echo', 'back again');
    expect((await messageFrom(li, 't_echo', (m) => m.body.text === 'echo: back again')).body.text).toBe('echo: back again');
  });

  it('hand-off asked by the agent, and by handoff.request, released by the asker', async () => {
    const conversation_id = directConversationId('u_li', 't_handoff');
    await ask(li, 't_handoff', 'this is terrible');
    await messageFrom(li, 't_handoff', (m) => m.body.text === 'let me find a colleague');
    const active = await li.waitFor((r) => (r.json as Event).type === 'handoff' && (r.json as { handoff: Handoff }).handoff.conversation_id === conversation_id);
    expect((active.json as { handoff: Handoff }).handoff).toMatchObject({ requested_by: 't_handoff', reason: 'complaint', human_id: 'u_wang' });
    expect(errorOf(await li.request('handoff.request', { conversation_id })).code).toBe('E_CONFLICT');
    await li.ok('handoff.release', { conversation_id });
    const { handoff } = await li.ok<{ handoff: Handoff }>('handoff.request', { conversation_id, reason: 'still unhappy' });
    expect(handoff).toMatchObject({ state: 'active', requested_by: 'u_li', human_id: 'u_wang', reason: 'still unhappy' });
    // Asking again, as after an unconfirmed request, answers with the same hand-off.
    expect((await li.ok<{ handoff: Handoff }>('handoff.request', { conversation_id })).handoff).toEqual(handoff);
    await li.ok('handoff.release', { conversation_id });
    expect(errorOf(await zhang.request('handoff.request', { conversation_id })).code).toBe('E_FORBIDDEN');
  });

  it('two hand-off requests at once hand the conversation over once', async () => {
    const conversation_id = directConversationId('u_li', 't_context');
    const ask = (reason: string) => li.ok<{ handoff: Handoff }>('handoff.request', { conversation_id, reason });
    const [a, b] = await Promise.all([ask('one'), ask('two')]);
    expect(a.handoff.workflow_id).toBe(b.handoff.workflow_id);
    expect(await stack.m.Handoff.countDocuments({ conversation_id, state: 'active' })).toBe(1);
    await li.ok('handoff.release', { conversation_id });
  });

  it('an agent that does not answer in time, or answers out of shape, leaves a notice', async () => {
    await Promise.all([ask(li, 't_slow', 'hello?'), ask(li, 't_bad', 'hello?')]);
    const slow = await messageFrom(li, 't_slow', () => true, 30_000);
    expect(slow).toMatchObject({ kind: 'system', body: { text: 'Agent t_slow is unavailable right now; please try again later.' } });
    const bad = await messageFrom(li, 't_bad');
    expect(bad).toMatchObject({ kind: 'system', body: { text: 'Agent t_bad is unavailable right now; please try again later.' } });
    const run = await runOf(bad.workflow_id!);
    expect(run.error).toMatch(/agent reply/);
  });

  it('an agent answering 202 delivers its answer by signed callback; a forged callback is refused', async () => {
    const sent = await ask(li, 't_async', 'take your time');
    const forged = JSON.stringify({ interaction_id: `${interactionWorkflowId(sent.msg_id, 't_async')}#0`, agent_id: 't_async', reply: { text: 'forged' } });
    const ts = Date.now();
    const res = await fetch(`${stack.httpUrl}/api/agents/callback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: signBody('not-the-secret', ts, forged) },
      body: forged,
    });
    expect(res.status).toBe(401);
    const answer = await messageFrom(li, 't_async');
    expect(answer.body.text).toBe('answered later');
  });

  it('over the rate limit the chat hears once that the agent is busy', async () => {
    for (let i = 0; i < 4; i++) await ask(li, 't_rate', `ping ${i}`);
    const busy = await messageFrom(li, 't_rate', (m) => m.kind === 'system');
    expect(busy.body.text).toBe('Agent t_rate is busy; your request is queued and will be answered shortly.');
    const answers = await stack.m.Message.countDocuments({ from: 't_rate', 'body.text': 'rate ok' });
    expect(answers).toBeLessThanOrEqual(3);
  });

  it('a worker killed in the middle of a relay is replaced and the relay finishes once', async () => {
    let open!: () => void;
    relayGate = new Promise((r) => (open = r));
    const sent = await ask(li, 't_relay1', 'go');
    await messageFrom(li, 't_relay1');
    const workflowId = interactionWorkflowId(sent.msg_id, 't_relay1');
    await runOf(workflowId, (r) => r.hops.length === 2);
    await stack.restartWorker('SIGKILL');
    open();
    // A new worker bundles the workflow code, and Temporal gives the dead one's sticky queue 10 s:
    // under a loaded CI machine that alone can take most of 20 s.
    const done = await runOf(workflowId, undefined, 70_000);
    expect(done).toMatchObject({ status: 'completed', hops: [{ agent_id: 't_relay1' }, { agent_id: 't_relay2', status: 'answered' }] });
    expect(await stack.m.Message.countDocuments({ from: 't_relay2', 'body.text': 'relay finished' })).toBe(1);
  }, 90_000);

  it('a schedule makes an agent post on its own, until paused', async () => {
    await wang.ok('admin.group.create', { id: 'g_brief', name: 'Briefs', owner_id: 'u_wang', members: ['u_li', 't_brief'] });
    await li.mqtt.subscribeAsync('mchat/group/g_brief', { qos: 1 });
    const schedule_id = `brief-${Date.now()}`;
    const created = await wang.ok<{ schedule: { paused: boolean } }>('admin.schedule.create', {
      schedule_id, agent_id: 't_brief', conversation_id: 'g:g_brief', every: '2s', prompt: 'the daily numbers',
    });
    expect(created.schedule.paused).toBe(false);
    expect(errorOf(await wang.request('admin.schedule.create', { schedule_id, agent_id: 't_brief', conversation_id: 'g:g_brief', every: '1h', prompt: 'x' })).code).toBe('E_CONFLICT');
    expect(errorOf(await wang.request('admin.schedule.create', { schedule_id: 'x', agent_id: 't_echo', conversation_id: 'g:g_brief', every: '1h', prompt: 'x' })).code).toBe('E_NOT_FOUND');
    const post = await messageFrom(li, 't_brief', (m) => m.conversation_id === 'g:g_brief');
    expect(post.body.text).toBe('brief: the daily numbers for Wang Fang');
    expect(post.workflow_id).toMatch(/^scheduled:/);
    const paused = await wang.ok<{ schedule: { paused: boolean } }>('admin.schedule.pause', { schedule_id, paused: true });
    expect(paused.schedule.paused).toBe(true);
    const { schedules } = await wang.ok<{ schedules: { schedule_id: string; paused: boolean }[] }>('admin.schedule.list', {});
    expect(schedules).toContainEqual(expect.objectContaining({ schedule_id, paused: true }));
    expect(await stack.m.Audit.countDocuments({ op: { $in: ['admin.schedule.create', 'admin.schedule.pause'] }, target: schedule_id })).toBe(3);
  });

  it('the demo agents: a refund asked of sales is relayed to finance, which approves it', async () => {
    await ask(li, 'a_sales', '退款 SO-1003');
    await messageFrom(li, 'a_sales', (m) => /finance assistant/.test(m.body.text ?? ''));
    const fin = await messageFrom(li, 'a_finance');
    expect(fin.conversation_id).toBe(directConversationId('a_sales', 'u_li'));
    expect(fin.body.card?.title).toBe('Refund SO-1003');
  });

  it('lists agents by capability', async () => {
    const { capabilities } = await li.ok<{ capabilities: { skill: string; agents: { id: string }[] }[] }>('agent.capabilities', { skill: 'order_lookup' });
    expect(capabilities).toEqual([{ skill: 'order_lookup', card: expect.objectContaining({ name: '订单查询' }), agents: [expect.objectContaining({ id: 'a_sales' })] }]);
  });

  it('published every workflow, task and hand-off event as an Event (schemas/events.ts)', () => {
    const types = new Set([li, zhang, wang].flatMap((c) => c.received.map((r) => (r.json as { type?: string }).type)));
    expect([...types]).toEqual(expect.arrayContaining(['message', 'workflow', 'task', 'handoff']));
    expect([li, zhang, wang].flatMap((c) => c.payloadProblems())).toEqual([]);
  });
});
