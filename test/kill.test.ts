import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directConversationId, type Event, type Message } from '../schemas/index.js';
import { MchatClient } from '../web/src/lib/mchat-client.js';
import { startStack, type Stack } from './stack.js';

const N = 150;
const KILL_AFTER = 40;

/**
 * The gateway is SIGKILLed in the middle of a stream of messages and started again. The sender
 * uses the client library, which resends what was not acknowledged; the recipient keeps what
 * arrives live and catches up with msg.sync. Every message ends up stored once, in order, and
 * reaches the recipient once.
 */
describe('a gateway killed in the middle of a stream', () => {
  let stack: Stack;
  let li: MchatClient;
  let zhang: MchatClient;
  const live: Message[] = [];
  const conversation = directConversationId('u_li', 'u_zhang');

  beforeAll(async () => {
    stack = await startStack({ env: { MCHAT_RATE_LIMIT_PER_SECOND: '100000' } });
    const client = async (id: string, onEvent?: (e: Event) => void) =>
      new MchatClient({ url: stack.mqttUrl, employeeId: id, token: await stack.login(id), timeoutMs: 1_000, ...(onEvent ? { onEvent } : {}) });
    zhang = await client('u_zhang', (e) => {
      if (e.type === 'message') live.push(e.msg);
    });
    li = await client('u_li');
    await Promise.all([li.request('conv.list', {}), zhang.request('conv.list', {})]); // both connected
  });
  afterAll(async () => {
    await Promise.all([li?.close(), zhang?.close()]);
    await stack?.stop();
  });

  it('stores every message once, in order, and delivers each to the recipient once', async () => {
    const acks: { seq: number; msg_id: string }[] = [];
    const firstPid = stack.gateway.child.pid;
    let restart: Promise<void> | undefined;
    for (let i = 0; i < N; i++) {
      if (i === KILL_AFTER) restart = stack.restartGateway('SIGKILL');
      acks.push(await li.sendMessage({ direct: 'u_zhang' }, { text: `m${i}` }, { clientMsgId: `stream-${i}`, giveUpAfterMs: 60_000 }));
    }
    await restart;
    expect(stack.gateway.child.pid, 'the gateway was killed and replaced').not.toBe(firstPid);

    // Stored: exactly N, one per client_msg_id, seq 1..N without a gap, in the order sent.
    const stored = await stack.m.Message.find({ conversation_id: conversation }).sort({ seq: 1 }).lean<Message[]>();
    expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect(stored.map((m) => m.body.text)).toEqual(Array.from({ length: N }, (_, i) => `m${i}`));
    expect(acks.map((a) => a.seq)).toEqual(stored.map((m) => m.seq));
    expect(acks.map((a) => a.msg_id)).toEqual(stored.map((m) => m.msg_id));

    // Delivered: what came live plus a catch-up after the last seq seen, deduplicated by seq as
    // the web app does, is every message exactly once and in order.
    const bySeq = new Map<number, Message>();
    for (const m of live.filter((x) => x.conversation_id === conversation)) {
      const seen = bySeq.get(m.seq);
      expect(seen === undefined || seen.msg_id === m.msg_id, `seq ${m.seq} arrived as two messages`).toBe(true);
      bySeq.set(m.seq, m);
    }
    expect(bySeq.size, 'some messages arrived live before and after the kill').toBeGreaterThan(KILL_AFTER);
    const { messages } = await zhang.request('msg.sync', { cursors: { [conversation]: 0 } });
    for (const m of messages.filter((x) => x.conversation_id === conversation)) {
      const seen = bySeq.get(m.seq);
      expect(seen === undefined || seen.msg_id === m.msg_id).toBe(true);
      bySeq.set(m.seq, m);
    }
    const delivered = [...bySeq.keys()].sort((a, b) => a - b);
    expect(delivered).toEqual(stored.map((m) => m.seq));
    expect(stack.gateway.child.exitCode).toBeNull();
  }, 120_000);
});
