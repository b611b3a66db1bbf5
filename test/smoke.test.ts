import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { ulid } from 'ulid';
import { directConversationId, Message, type Event } from '../schemas/index.js';
import { interactionWorkflowId } from '../gateway/agents/routing.js';
import { startStack, type Stack } from './stack.js';
import { TestClient } from './client.js';

describe('end to end: MQTT request → gateway → database → Temporal → agent → inbox', () => {
  let stack: Stack;
  let li: TestClient;
  let zhang: TestClient;
  let temporal: Connection;

  beforeAll(async () => {
    stack = await startStack({ worker: true });
    li = await TestClient.connect(stack.mqttUrl, 'u_li', await stack.login('u_li'));
    zhang = await TestClient.connect(stack.mqttUrl, 'u_zhang', await stack.login('u_zhang'));
    temporal = await Connection.connect({ address: stack.env.TEMPORAL_ADDRESS! });
  });
  afterAll(async () => {
    await Promise.all([li?.close(), zhang?.close(), temporal?.close()]);
    await stack?.stop();
  });

  it('answers a direct message on the response topic, stores it and delivers it to the recipient', async () => {
    const client_msg_id = ulid();
    const res = await li.request('msg.send', { to: { direct: 'u_zhang' }, client_msg_id, body: { text: 'hello Zhang' } });
    expect(res.ok).toBe(true);
    const result = (res as { result: { msg_id: string; conversation_id: string; seq: number } }).result;
    expect(result.conversation_id).toBe(directConversationId('u_li', 'u_zhang'));
    expect(result.seq).toBe(1);

    const stored = await stack.m.Message.findOne({ msg_id: result.msg_id }).lean();
    expect(stored).toMatchObject({ from: 'u_li', seq: 1, client_msg_id, body: { text: 'hello Zhang' } });

    const delivered = await zhang.waitFor((r) => (r.json as Event).type === 'message');
    expect(delivered.topic).toBe('mchat/inbox/u_zhang');
    const msg = Message.parse((delivered.json as { msg: unknown }).msg);
    expect(msg.msg_id).toBe(result.msg_id);
  });

  it('answers a retried request with the first result and stores nothing new', async () => {
    const client_msg_id = ulid();
    const send = () => li.ok<{ msg_id: string; seq: number }>('msg.send', { to: { direct: 'u_zhang' }, client_msg_id, body: { text: 'once' } });
    const first = await send();
    const again = await send();
    expect(again).toEqual(first);
    expect(await stack.m.Message.countDocuments({ client_msg_id })).toBe(1);
  });

  it('starts an agent interaction workflow that completes on Temporal and answers in the inbox', async () => {
    const sent = await li.ok<{ msg_id: string; conversation_id: string }>('msg.send', {
      to: { direct: 'a_sales' }, client_msg_id: ulid(), body: { text: '查订单 SO-1001' },
    });
    // The workflow is started from a queue after the answer to msg.send: wait for the agent's
    // message before asking Temporal about it.
    const answer = await li.waitFor((r) => {
      const e = r.json as Event;
      return e.type === 'message' && e.msg.from === 'a_sales';
    });
    const handle = new Client({ connection: temporal }).workflow.getHandle(interactionWorkflowId(sent.msg_id, 'a_sales'));
    const outcome = await handle.result();
    expect(outcome).toMatchObject({ step: 'done' });

    const msg = Message.parse((answer.json as { msg: unknown }).msg);
    expect(msg.conversation_id).toBe(sent.conversation_id);
    expect(msg.body.card?.title).toBe('Order SO-1001');
    expect(msg.body.text).toContain('Li Lei');
    expect(msg.workflow_id).toBe(handle.workflowId);
    expect(await stack.m.Message.countDocuments({ conversation_id: sent.conversation_id })).toBe(2);
  });

  it('serves browsers over MQTT on WebSocket with the same protocol and rules', async () => {
    const ws = await TestClient.connect(stack.wsUrl, 'u_zhang', await stack.login('u_zhang'), 'web-1');
    try {
      const { conversations } = await ws.ok<{ conversations: { conversation_id: string; last_seq: number }[] }>('conv.list', {});
      expect(conversations.map((c) => c.conversation_id)).toContain(directConversationId('u_li', 'u_zhang'));
      // SUBACK 128: mqtt.js turns the refusal into an error.
      await expect(ws.mqtt.subscribeAsync('mchat/inbox/u_li', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    } finally {
      await ws.close();
    }
  });
});
