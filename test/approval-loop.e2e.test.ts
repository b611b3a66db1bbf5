import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ulid } from 'ulid';
import { createAgentServer } from '../agents/sdk/index.js';
import { freePort } from '../scripts/servers/servers.js';
import { directConversationId, type Event, type Message, type Task, type WorkflowRun } from '../schemas/index.js';
import { interactionWorkflowId } from '../gateway/agents/routing.js';
import { TestClient } from './client.js';
import { startStack, type Stack } from './stack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The loop closes: asker → agent → approval → the approver decides → the agent hears it (a signed
 * webhook call with the decision) and its follow-up reaches the asker. The real stack: gateway,
 * worker, Temporal, database, and the demo agents over HTTP.
 */
describe('an approval decided reaches the agent that asked, and its follow-up the asker', () => {
  let stack: Stack;
  let li: TestClient;
  let wang: TestClient;
  let downServer: Server;

  beforeAll(async () => {
    stack = await startStack({ worker: true });
    const connect = async (id: string) => TestClient.connect(stack.mqttUrl, id, await stack.login(id));
    [li, wang] = await Promise.all([connect('u_li'), connect('u_wang')]);
  });

  afterAll(async () => {
    await Promise.all([li?.close(), wang?.close()]);
    downServer?.closeAllConnections();
    downServer?.close();
    await stack?.stop();
  });

  async function ask(agent: string, text: string) {
    return li.ok<{ msg_id: string; conversation_id: string; seq: number }>('msg.send', { to: { direct: agent }, client_msg_id: ulid(), body: { text } });
  }

  function messageTo(client: TestClient, match: (m: Message) => boolean, timeoutMs = 20_000): Promise<Message> {
    return client.waitFor((r) => {
      const e = r.json as Event;
      return e.type === 'message' && match(e.msg);
    }, timeoutMs).then((r) => (r.json as { msg: Message }).msg);
  }

  async function pendingTaskFor(workflowId: string): Promise<Task> {
    const r = await wang.waitFor((x) => {
      const e = x.json as Event;
      return e.type === 'task' && e.task.state === 'pending' && e.task.workflow_id === workflowId;
    });
    return (r.json as { task: Task }).task;
  }

  async function runOf(workflowId: string, waitMs = 30_000): Promise<WorkflowRun> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const run = await stack.m.WorkflowRun.findOne({ workflow_id: workflowId }, { _id: 0 }).lean<WorkflowRun>();
      if (run && (run.status === 'completed' || run.status === 'failed')) return run;
      if (Date.now() > deadline) throw new Error(`workflow ${workflowId} not done: ${JSON.stringify(run)}`);
      await sleep(100);
    }
  }

  it('approved: the finance agent says the refund is processed, after the decision, in the same chat', async () => {
    const conversation_id = directConversationId('a_finance', 'u_li');
    const sent = await ask('a_finance', '退款 SO-1002');
    const workflowId = interactionWorkflowId(sent.msg_id, 'a_finance');
    const asked = await messageTo(li, (m) => m.from === 'a_finance' && m.conversation_id === conversation_id && /asked Wang Fang to decide/.test(m.body.text ?? ''));
    expect(asked.body.text).toContain("I'll tell you here what they decide");
    const task = await pendingTaskFor(workflowId);
    expect(task).toMatchObject({ requested_by: 'a_finance', asker_id: 'u_li', approver_id: 'u_wang' });

    await wang.ok('task.decide', { task_id: task.task_id, decision: 'approve', comment: 'customer is right' });
    const decision = await messageTo(li, (m) => m.conversation_id === conversation_id && m.body.notice?.kind === 'approval_decided');
    const followUp = await messageTo(li, (m) => m.from === 'a_finance' && m.conversation_id === conversation_id && m.seq > decision.seq);
    expect(followUp.kind).toBe('card');
    expect(followUp.body.text).toBe('Li Lei, Wang Fang approved the refund of ¥1200 for order SO-1002 (Beifang Logistics): "customer is right". ' +
      "I've processed it: the money reaches the customer in 3–5 working days.");
    expect(followUp.body.card?.title).toBe('Refund SO-1002');
    expect(followUp.body.card?.fields).toContainEqual({ label: 'Decision', value: 'approved' });
    expect(followUp.workflow_id).toBe(workflowId);

    const run = await runOf(workflowId);
    expect(run).toMatchObject({ status: 'completed', step: 'done' });
    expect(run.hops).toMatchObject([
      { hop: 0, agent_id: 'a_finance', status: 'answered', reply_msg_id: asked.msg_id },
      { hop: 1, agent_id: 'a_finance', status: 'answered', event: 'approval_decided', reply_msg_id: followUp.msg_id },
    ]);
    // The asker reads the whole story in the conversation, in order.
    const { messages } = await li.ok<{ messages: Message[] }>('msg.history', { conversation_id, after_seq: sent.seq - 1 });
    const story = messages.map((m) => m.body.notice?.kind ?? m.from);
    expect(story).toEqual(['u_li', 'a_finance', 'approval_requested', 'approval_decided', 'a_finance']);
  });

  it('rejected, after a relay from sales: the asker hears why, and nothing is paid out', async () => {
    const conversation_id = directConversationId('a_sales', 'u_li');
    const sent = await ask('a_sales', 'refund SO-1005');
    const workflowId = interactionWorkflowId(sent.msg_id, 'a_sales');
    const task = await pendingTaskFor(workflowId);
    expect(task.requested_by).toBe('a_finance');
    // Over HTTP this time, as the web app's task list decides.
    const res = await fetch(`${stack.httpUrl}/api/tasks/${task.task_id}/decision`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${await stack.login('u_wang')}` },
      body: JSON.stringify({ decision: 'reject', comment: 'over budget this quarter' }),
    });
    expect(res.status).toBe(200);
    const decision = await messageTo(li, (m) => m.conversation_id === conversation_id && m.body.notice?.kind === 'approval_decided');
    expect(decision.body.notice).toMatchObject({ decision: 'reject', comment: 'over budget this quarter' });
    const followUp = await messageTo(li, (m) => m.from === 'a_finance' && m.conversation_id === conversation_id && m.seq > decision.seq);
    expect(followUp.body.text).toContain('Wang Fang declined the refund of ¥12000 for order SO-1005');
    expect(followUp.body.text).toContain('"over budget this quarter"');
    expect(followUp.body.text).toContain('Nothing has been paid out');
    expect(followUp.body.card?.fields).toContainEqual({ label: 'Reason', value: 'over budget this quarter' });

    const run = await runOf(workflowId);
    expect(run).toMatchObject({ status: 'completed', step: 'rejected by u_wang' });
    expect(run.hops.map((h) => [h.agent_id, h.status, h.event])).toEqual([
      ['a_sales', 'answered', undefined], ['a_finance', 'answered', undefined], ['a_finance', 'answered', 'approval_decided'],
    ]);
  });

  it('an agent that is down when the decision comes: the decision stands in the chat, the failure in the workflow', async () => {
    // An agent of the test's own, which goes away while its approval waits.
    const port = await freePort();
    const { api_secret } = await wang.ok<{ api_secret: string }>('admin.agent.create', {
      id: 't_gone', name: 'Vanishing Agent', manager_id: 'u_wang',
      agent_profile: { model_type: 'test', webhook_endpoint: `http://127.0.0.1:${port}/agent`, response_timeout: 2 },
    });
    let followUps = 0;
    downServer = createAgentServer({
      agents: {
        '/agent': {
          secret: api_secret,
          handle: (req) => {
            if (req.event) return (followUps++, { text: 'should never be posted' });
            return { text: 'that needs a sign-off', needs_approval: { approver: 'u_wang', summary: 'a new laptop' } };
          },
        },
      },
    });
    await new Promise<void>((r) => downServer.listen(port, '127.0.0.1', r));
    const conversation_id = directConversationId('t_gone', 'u_li');
    const sent = await ask('t_gone', 'I need a laptop');
    const workflowId = interactionWorkflowId(sent.msg_id, 't_gone');
    const task = await pendingTaskFor(workflowId);
    downServer.closeAllConnections();
    await new Promise((r) => downServer.close(r));

    await wang.ok('task.decide', { task_id: task.task_id, decision: 'approve' });
    const run = await runOf(workflowId);
    expect(run).toMatchObject({ status: 'completed', step: 'done' });
    expect(run.hops).toHaveLength(2);
    expect(run.hops[1]).toMatchObject({ agent_id: 't_gone', status: 'failed', event: 'approval_decided', error: expect.stringMatching(/fetch failed|ECONNREFUSED/) });
    expect(run.hops[1]!.reply_msg_id).toBeUndefined();
    expect(followUps).toBe(0);
    const messages = await stack.m.Message.find({ conversation_id, seq: { $gt: sent.seq } }, { _id: 0 }).sort({ seq: 1 }).lean<Message[]>();
    expect(messages.map((m) => m.body.notice?.kind ?? m.body.text)).toEqual(['that needs a sign-off', 'approval_requested', 'approval_decided']);
    expect((await stack.m.Task.findOne({ task_id: task.task_id }).lean())?.state).toBe('approved');
  });
});
