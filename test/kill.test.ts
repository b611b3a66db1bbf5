import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { directConversationId, type Message } from '../schemas/index.js';
import { MchatClient } from '../sdk/index.js';
import { startStack, type Stack } from './stack.js';

const N = 150;
const KILL_AFTER = 40;

/**
 * The gateway is SIGKILLed in the middle of a stream of messages and started again. Both sides
 * use the SDK: the sender resends what was not acknowledged, the recipient reconnects and
 * catches up with msg.sync. Every message ends up stored once, in order, and reaches the
 * recipient once.
 */
describe('a gateway killed in the middle of a stream', () => {
  let stack: Stack;
  let li: MchatClient;
  let zhang: MchatClient;
  const live: Message[] = [];
  const conversation = directConversationId('u_li', 'u_zhang');

  beforeAll(async () => {
    stack = await startStack({ env: { MCHAT_RATE_LIMIT_PER_SECOND: '100000' } });
    const client = async (id: string) => {
      const c = new MchatClient({
        url: stack.mqttUrl, employeeId: id, token: await stack.login(id), device: 'kill', timeoutMs: 1_000, reconnect: { initialMs: 100, maxMs: 1_000 },
      });
      await new Promise((resolve) => c.once('synced', () => resolve(undefined)));
      return c;
    };
    [zhang, li] = await Promise.all([client('u_zhang'), client('u_li')]);
    zhang.on('message', (m) => live.push(m));
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
      acks.push(await li.send({ direct: 'u_zhang' }, { text: `m${i}` }, { clientMsgId: `stream-${i}`, giveUpAfterMs: 60_000 }));
    }
    await restart;
    expect(stack.gateway.child.pid, 'the gateway was killed and replaced').not.toBe(firstPid);

    // Stored: exactly N, one per client_msg_id, seq 1..N without a gap, in the order sent.
    const stored = await stack.m.Message.find({ conversation_id: conversation }).sort({ seq: 1 }).lean<Message[]>();
    expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect(stored.map((m) => m.body.text)).toEqual(Array.from({ length: N }, (_, i) => `m${i}`));
    expect(acks.map((a) => a.seq)).toEqual(stored.map((m) => m.seq));
    expect(acks.map((a) => a.msg_id)).toEqual(stored.map((m) => m.msg_id));

    // Delivered: live before the kill, then caught up after the recipient's reconnect, each
    // message exactly once and in seq order.
    const received = () => live.filter((x) => x.conversation_id === conversation);
    await vi.waitFor(() => expect(received().length).toBeGreaterThanOrEqual(N), { timeout: 30_000 });
    expect(received().map((m) => m.msg_id)).toEqual(stored.map((m) => m.msg_id));
    expect(stack.gateway.child.exitCode).toBeNull();
  }, 120_000);
});
