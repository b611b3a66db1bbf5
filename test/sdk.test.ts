import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { directConversationId, type Message } from '../schemas/index.js';
import { MchatClient, type MchatClientOptions } from '../sdk/index.js';
import { Relay } from './relay.js';
import { startStack, type Stack } from './stack.js';

/**
 * The SDK against the real stack, its connection lost the way a network loses it: through a TCP
 * relay that drops connections, turns new ones away, or swallows the broker's answers.
 */
describe('the SDK against a gateway', () => {
  let stack: Stack;
  let relay: Relay;
  const clients: MchatClient[] = [];

  beforeAll(async () => {
    stack = await startStack({ env: { MCHAT_RATE_LIMIT_PER_SECOND: '100000' } });
    relay = await Relay.start(stack.mqttUrl);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    relay.refusing = false;
    relay.holdingAnswers = false;
  });
  afterAll(async () => {
    await relay?.close();
    await stack?.stop();
  });

  async function online(id: string, opts: Partial<MchatClientOptions> = {}): Promise<MchatClient> {
    const client = new MchatClient({
      url: stack.mqttUrl, employeeId: id, token: await stack.login(id), device: 'sdk-test',
      reconnect: { initialMs: 50, maxMs: 300 }, ...opts,
    });
    clients.push(client);
    await new Promise((resolve) => client.once('synced', () => resolve(undefined)));
    return client;
  }
  const stored = (conversationId: string) => stack.m.Message.find({ conversation_id: conversationId }, { _id: 0 }).sort({ seq: 1 }).lean<Message[]>();

  describe.each([
    { session: 'a persistent session', sender: 'u_li', clean: false },
    { session: 'a clean session', sender: 'u_wang', clean: true },
  ])('reconnecting during a burst, with $session', ({ sender, clean }) => {
    const N = 60;

    it('ends with every message exactly once, in seq order', async () => {
      const conversation = directConversationId(sender, 'u_zhang');
      const from = await online(sender);
      const to = await online('u_zhang', { url: relay.url, device: `burst-${sender}`, clean });
      const got: Message[] = [];
      const sources: string[] = [];
      to.on('message', (m, source) => {
        if (m.conversation_id !== conversation) return;
        got.push(m);
        sources.push(source);
      });
      const states: string[] = [];
      to.on('state', (s) => states.push(s));
      // Five at a time, so they are stored and delivered out of order as well.
      const burst = async (first: number, last: number) => {
        for (let i = first; i < last; i += 5) {
          await Promise.all(Array.from({ length: Math.min(5, last - i) }, (_, k) => from.send({ direct: 'u_zhang' }, { text: `burst ${i + k}` })));
        }
      };

      // The conversation's first message alone: a conversation new to the SDK starts at the first
      // message it meets (what came before is history), so its opening must not arrive out of order.
      await from.send({ direct: 'u_zhang' }, { text: 'the start' });
      await vi.waitFor(() => expect(got.length).toBe(1), { timeout: 15_000 });
      await burst(0, 20);
      await vi.waitFor(() => expect(got.length).toBeGreaterThan(1), { timeout: 15_000 });
      // The receiver loses its connection and cannot get back while a third of the burst is sent…
      relay.refusing = true;
      relay.cut();
      await vi.waitFor(() => expect(to.state).toBe('offline'));
      await burst(20, 40);
      // …and reconnects while the rest is being sent.
      relay.refusing = false;
      await burst(40, N);
      await from.send({ direct: 'u_zhang' }, { text: 'the end' });

      await vi.waitFor(() => expect(got.at(-1)?.body.text).toBe('the end'), { timeout: 30_000 });
      const all = await stored(conversation);
      expect(all).toHaveLength(N + 2);
      expect(got.map((m) => m.seq)).toEqual(all.map((m) => m.seq));
      expect(got.map((m) => m.msg_id)).toEqual(all.map((m) => m.msg_id));
      expect(states).toEqual(expect.arrayContaining(['offline', 'online']));
      // Without a session kept by the broker, what was sent while away can only come from msg.sync.
      if (clean) expect(sources).toContain('catch-up');
    }, 90_000);
  });

  it('a send whose answer was lost with the connection is retried, and stored once', async () => {
    const conversation = directConversationId('u_wang', 'u_li');
    const li = await online('u_li', { device: 'retry-watch' });
    const seen: Message[] = [];
    li.on('message', (m) => {
      if (m.conversation_id === conversation) seen.push(m);
    });
    // A clean session: the answer the broker could not deliver is gone with the connection, so
    // only a retry can answer the send.
    const wang = await online('u_wang', { url: relay.url, device: 'retry', clean: true, timeoutMs: 30_000 });

    relay.holdingAnswers = true;
    const sending = wang.send({ direct: 'u_li' }, { text: 'once only' }, { clientMsgId: 'retry-once' });
    await vi.waitFor(() => expect(seen).toHaveLength(1), { timeout: 15_000 }); // stored and delivered
    relay.cut();
    relay.holdingAnswers = false;

    const result = await sending;
    expect(result).toMatchObject({ msg_id: seen[0]!.msg_id, seq: seen[0]!.seq, conversation_id: conversation });
    const all = await stored(conversation);
    expect(all.filter((m) => m.client_msg_id === 'retry-once')).toHaveLength(1);
    expect(all).toHaveLength(1);
  }, 60_000);

  it('connects over WebSocket as a browser does', async () => {
    const li = await online('u_li', { url: stack.wsUrl, device: 'ws' });
    const { employee } = await li.request('employee.get', { id: 'u_zhang' });
    expect(employee.id).toBe('u_zhang');
  });

  it('says when the token is refused, and does not retry it', async () => {
    const client = new MchatClient({ url: stack.mqttUrl, employeeId: 'u_li', token: 'not-a-token', device: 'bad' });
    clients.push(client);
    await expect(client.request('conv.list', {})).rejects.toMatchObject({ code: 'E_AUTH' });
    expect(client.state).toBe('refused');
  });
});
