import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ulid } from 'ulid';
import { createAgentServer, type AgentHandler } from '../agents/sdk/index.js';
import { freePort } from '../scripts/servers/servers.js';
import { directConversationId, type AgentRequest, type Event, type Handoff, type Message } from '../schemas/index.js';
import { errorOf, TestClient } from './client.js';
import { startStack, type Stack } from './stack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PICKUP_MS = 6_000;

/**
 * 转人工 as a real hand-over, over MQTT against the real gateway, worker, Temporal and database:
 * the agent's manager takes the conversation over, reads and writes in it while it lasts, and
 * loses that when it is released; the agent then hears what happened meanwhile.
 */
describe('hand-off to a human end to end', () => {
  let stack: Stack;
  let li: TestClient;
  let zhang: TestClient;
  let wang: TestClient;
  let agentServer: Server;
  const requests: AgentRequest[] = [];
  const conversation_id = directConversationId('u_li', 't_help');

  const help: AgentHandler = (req) => {
    requests.push(req);
    return { text: `help: ${req.message.body.text}` };
  };

  beforeAll(async () => {
    // u_wang has no manager: an unclaimed hand-off of theirs goes to the on-duty u_zhang. The
    // pickup time leaves the first test room to answer before anything escalates.
    stack = await startStack({ worker: true, env: { MCHAT_HANDOFF_PICKUP_MS: String(PICKUP_MS), MCHAT_ONDUTY_EMPLOYEE: 'u_zhang' } });
    const connect = async (id: string) => TestClient.connect(stack.mqttUrl, id, await stack.login(id));
    [li, zhang, wang] = await Promise.all([connect('u_li'), connect('u_zhang'), connect('u_wang')]);
    const port = await freePort();
    // u_wang manages the agent: the colleague a hand-off of its conversations goes to.
    const { api_secret } = await wang.ok<{ api_secret: string }>('admin.agent.create', {
      id: 't_help', name: 'Helpdesk', manager_id: 'u_wang',
      agent_profile: { model_type: 'test', webhook_endpoint: `http://127.0.0.1:${port}/agents/t_help`, response_timeout: 5_000 },
    });
    agentServer = createAgentServer({ agents: { '/agents/t_help': { secret: api_secret, handle: help } }, mchatUrl: stack.httpUrl });
    await new Promise<void>((r) => agentServer.listen(port, '127.0.0.1', r));
  });

  afterAll(async () => {
    await Promise.all([li?.close(), zhang?.close(), wang?.close()]);
    agentServer?.close();
    await stack?.stop();
  });

  const send = (client: TestClient, to: Record<string, string>, text: string) =>
    client.request('msg.send', { to, client_msg_id: ulid(), body: { text } });

  function messageIn(client: TestClient, match: (m: Message) => boolean, timeoutMs = 20_000): Promise<Message> {
    return client.waitFor((r) => {
      const e = r.json as Event;
      return e.type === 'message' && e.msg.conversation_id === conversation_id && match(e.msg);
    }, timeoutMs).then((r) => (r.json as { msg: Message }).msg);
  }

  const received = (client: TestClient, text: string) =>
    client.received.some((r) => (r.json as Event).type === 'message' && (r.json as { msg: Message }).msg.body.text === text);

  it('the manager reads and writes in the handed-off conversation until it is released', async () => {
    expect((await send(li, { direct: 't_help' }, 'my parcel is late')).ok).toBe(true);
    await messageIn(li, (m) => m.body.text === 'help: my parcel is late');

    expect((await send(li, { direct: 't_help' }, '转人工')).ok).toBe(true);
    const opened = await wang.waitFor((r) => (r.json as Event).type === 'handoff', 20_000);
    expect((opened.json as { handoff: Handoff }).handoff).toMatchObject({ conversation_id, human_id: 'u_wang', state: 'active' });
    // The colleague hears the notice in the conversation itself, live.
    const notice = await messageIn(wang, (m) => m.kind === 'system');
    expect(notice.body.notice).toEqual({ kind: 'handoff_started', human_id: 'u_wang' });

    // What the asker writes now reaches the colleague at once.
    expect((await send(li, { direct: 't_help' }, 'it was due on Monday')).ok).toBe(true);
    expect((await messageIn(wang, (m) => m.from === 'u_li' && m.body.text === 'it was due on Monday')).from).toBe('u_li');

    // The colleague reads the history (from before the hand-off too) and catches up with msg.sync.
    const { messages: page } = await wang.ok<{ messages: Message[] }>('msg.history', { conversation_id });
    expect(page.map((m) => m.body.text)).toEqual(expect.arrayContaining(['my parcel is late', 'help: my parcel is late', 'it was due on Monday']));
    const { messages: synced } = await wang.ok<{ messages: Message[] }>('msg.sync', {});
    expect(synced.filter((m) => m.conversation_id === conversation_id).map((m) => m.body.text)).toContain('it was due on Monday');

    // The colleague answers in the same conversation; the asker gets it there.
    const reply = await send(wang, { conversation: conversation_id }, 'I have asked the courier; it arrives tomorrow');
    expect(reply.ok).toBe(true);
    const answer = await messageIn(li, (m) => m.from === 'u_wang');
    expect(answer).toMatchObject({ conversation_id, body: { text: 'I have asked the courier; it arrives tomorrow' } });

    // Nobody else may read or write in it.
    expect(errorOf(await zhang.request('msg.history', { conversation_id })).code).toBe('E_FORBIDDEN');
    expect(errorOf(await send(zhang, { conversation: conversation_id }, 'hello?')).code).toBe('E_FORBIDDEN');
    expect(errorOf(await zhang.request('msg.sync', { cursors: { [conversation_id]: 0 } })).code).toBe('E_FORBIDDEN');
    expect(received(zhang, 'it was due on Monday')).toBe(false);

    // The agent kept quiet the whole time.
    await sleep(1_500);
    expect(requests.map((r) => r.message.body.text)).toEqual(['my parcel is late']);

    await wang.ok('handoff.release', { conversation_id });
    const handedBack = await messageIn(li, (m) => m.body.notice?.kind === 'handoff_released');
    expect(handedBack.body.notice).toEqual({ kind: 'handoff_released', released_by: 'u_wang' });

    // Released, the colleague's access is gone at once, on the same connection.
    expect(errorOf(await wang.request('msg.history', { conversation_id })).code).toBe('E_FORBIDDEN');
    expect(errorOf(await send(wang, { conversation: conversation_id }, 'one more thing')).code).toBe('E_FORBIDDEN');
    const { messages: after } = await wang.ok<{ messages: Message[] }>('msg.sync', {});
    expect(after.some((m) => m.conversation_id === conversation_id)).toBe(false);

    // The agent answers again, told what happened while the colleague had the conversation.
    expect((await send(li, { direct: 't_help' }, 'thanks, anything else?')).ok).toBe(true);
    await messageIn(li, (m) => m.body.text === 'help: thanks, anything else?');
    expect(received(wang, 'thanks, anything else?')).toBe(false);
    const told = requests.at(-1)!;
    expect(told.handoff).toMatchObject({ human: { id: 'u_wang' }, released_by: 'u_wang', reason: expect.any(String) });
    expect(told.handoff!.messages.map((m) => [m.from, m.text])).toEqual([
      ['u_li', 'it was due on Monday'],
      ['u_wang', 'I have asked the courier; it arrives tomorrow'],
    ]);

    // Told once: the call after that has no hand-off in it.
    expect((await send(li, { direct: 't_help' }, 'bye')).ok).toBe(true);
    await messageIn(li, (m) => m.body.text === 'help: bye');
    expect(requests.at(-1)!.handoff).toBeUndefined();
  });

  it('a hand-off nobody picks up in time goes to the next colleague, and the asker is told', async () => {
    const sent = await send(li, { direct: 't_help' }, '/human please');
    if (!sent.ok) throw new Error('not sent');
    const workflow_id = `handoff:${(sent.result as { msg_id: string }).msg_id}`;
    const first = await li.waitFor((r) => (r.json as Event).type === 'handoff' && (r.json as { handoff: Handoff }).handoff.workflow_id === workflow_id, 20_000);
    const opened = (first.json as { handoff: Handoff }).handoff;
    expect(opened).toMatchObject({ human_id: 'u_wang', state: 'active' });
    // u_wang says nothing; after the pickup time the asker hears it moved on.
    const moved = await messageIn(li, (m) => m.body.notice?.kind === 'handoff_escalated', PICKUP_MS + 20_000);
    expect(moved.body.notice).toEqual({ kind: 'handoff_escalated', human_id: 'u_zhang', missed_id: 'u_wang' });
    const event = await zhang.waitFor((r) => (r.json as Event).type === 'handoff' && (r.json as { handoff: Handoff }).handoff.human_id === 'u_zhang');
    expect((event.json as { handoff: Handoff }).handoff).toMatchObject({ conversation_id, workflow_id: opened.workflow_id, state: 'active' });
    // The one who missed it is told too, and loses the conversation; the new colleague has it.
    await wang.waitFor((r) => (r.json as Event).type === 'handoff' && (r.json as { handoff: Handoff }).handoff.human_id === 'u_zhang');
    expect(errorOf(await wang.request('msg.history', { conversation_id })).code).toBe('E_FORBIDDEN');
    const { messages } = await zhang.ok<{ messages: Message[] }>('msg.history', { conversation_id });
    expect(messages.map((m) => m.body.text)).toContain('/human please');
    expect((await send(zhang, { conversation: conversation_id }, 'Zhang here, how can I help?')).ok).toBe(true);
    await messageIn(li, (m) => m.from === 'u_zhang' && m.body.text === 'Zhang here, how can I help?');
    // The watch is a workflow of the conversation, in its panel like the others.
    const watch = await stack.m.WorkflowRun.findOne({ workflow_id: `${opened.workflow_id}:pickup` }).lean();
    expect(watch).toMatchObject({ kind: 'handoff', conversation_id });
    await zhang.ok('handoff.release', { conversation_id });
  });

  it('the pickup timer survives a worker killed while it waits, and escalates once', async () => {
    const sent = await send(li, { direct: 't_help' }, '/handoff still waiting');
    if (!sent.ok) throw new Error('not sent');
    const workflow_id = `handoff:${(sent.result as { msg_id: string }).msg_id}`;
    await li.waitFor((r) => (r.json as Event).type === 'handoff' && (r.json as { handoff: Handoff }).handoff.workflow_id === workflow_id, 20_000);
    // The watch is asleep on its timer when the worker dies.
    for (let i = 0; !(await stack.m.WorkflowRun.exists({ workflow_id: `${workflow_id}:pickup`, step: 'waiting for u_wang to pick up' })); i++) {
      if (i > 100) throw new Error('the pickup watch never started');
      await sleep(100);
    }
    await stack.restartWorker('SIGKILL');
    const moved = await messageIn(li, (m) => m.workflow_id === workflow_id && m.body.notice?.kind === 'handoff_escalated', PICKUP_MS + 40_000);
    expect(moved.body.notice).toEqual({ kind: 'handoff_escalated', human_id: 'u_zhang', missed_id: 'u_wang' });
    expect(await stack.m.Handoff.findOne({ workflow_id }, { _id: 0, human_id: 1 }).lean()).toEqual({ human_id: 'u_zhang' });
    await zhang.ok('handoff.release', { conversation_id });
    expect(await stack.m.Message.countDocuments({ workflow_id, 'body.notice.kind': 'handoff_escalated' })).toBe(1);
  });
});
