import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { ulid } from 'ulid';
import { directConversationId, type ConversationSummary, type Event, type Message } from '../schemas/index.js';
import { startStack, type Stack } from './stack.js';
import { TestClient, errorOf } from './client.js';

const RECALL_WINDOW_MS = 1_500;

describe('reading, receipts, recall and catch-up', () => {
  let stack: Stack;
  let li: TestClient;
  let wang: TestClient;
  let zhang: TestClient;
  const direct = directConversationId('u_li', 'u_zhang');

  const send = (c: TestClient, to: Record<string, string>, text: string) =>
    c.ok<{ msg_id: string; seq: number; conversation_id: string }>('msg.send', { to, client_msg_id: ulid(), body: { text } });
  const list = async (c: TestClient) =>
    new Map((await c.ok<{ conversations: ConversationSummary[] }>('conv.list', {})).conversations.map((x) => [x.conversation_id, x]));

  beforeAll(async () => {
    stack = await startStack({ env: { MCHAT_RECALL_WINDOW_MS: String(RECALL_WINDOW_MS), MCHAT_RECEIPT_INTERVAL_MS: '100' } });
    const connect = async (id: string) => TestClient.connect(stack.mqttUrl, id, await stack.login(id));
    [li, wang, zhang] = await Promise.all([connect('u_li'), connect('u_wang'), connect('u_zhang')]);
    await Promise.all([li.mqtt.subscribeAsync('mchat/group/g_sales', { qos: 1 }), wang.mqtt.subscribeAsync('mchat/group/g_sales', { qos: 1 })]);
  });
  afterAll(async () => {
    await Promise.all([li?.close(), wang?.close(), zhang?.close()]);
    await stack?.stop();
  });

  it('counts unread per conversation, never one’s own messages, and a read receipt clears them for both sides to see', async () => {
    for (const text of ['one', 'two', 'three']) await send(li, { direct: 'u_zhang' }, text);
    expect((await list(li)).get(direct)?.unread).toBe(0);
    expect((await list(zhang)).get(direct)).toMatchObject({ unread: 3, last_seq: 3 });

    await zhang.ok('msg.read', { conversation_id: direct, seq: 2 });
    const receipt = await li.waitFor((r) => (r.json as Event).type === 'receipt');
    expect(receipt.json).toEqual({ v: 1, type: 'receipt', conversation_id: direct, reader: 'u_zhang', seq: 2 });
    expect((await list(zhang)).get(direct)?.unread).toBe(1);
    // Reading an older message does not move the cursor back.
    await zhang.ok('msg.read', { conversation_id: direct, seq: 1 });
    expect((await list(zhang)).get(direct)?.unread).toBe(1);
    expect(errorOf(await zhang.request('msg.read', { conversation_id: direct, seq: 99 }))).toMatchObject({ code: 'E_SCHEMA', field: 'payload.seq' });
    expect(errorOf(await wang.request('msg.read', { conversation_id: direct, seq: 1 })).code).toBe('E_FORBIDDEN');
  });

  it('gives a group one aggregated read count, and the list of readers on demand', async () => {
    const sent = await send(li, { group: 'g_sales' }, 'please read');
    // The sender's own cursor is written lazily (up to a second later, see noteSent): wait for it,
    // so that the count below is of two readers whatever the machine's load.
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      if (await stack.m.ReadCursor.exists({ conversation_id: 'g:g_sales', employee_id: 'u_li', seq: { $gte: sent.seq } })) break;
    }
    await wang.ok('msg.read', { conversation_id: 'g:g_sales', seq: sent.seq });
    const summary = await li.waitFor((r) => {
      const e = r.json as Event;
      return e.type === 'receipt' && r.topic === 'mchat/group/g_sales' && e.seq === sent.seq && e.read_count === 2;
    });
    // Aggregated: no per-reader field goes to the whole group.
    expect(summary.json).not.toHaveProperty('reader');
    const who = await li.ok<{ readers: string[]; read_count: number }>('msg.readers', { conversation_id: 'g:g_sales', seq: sent.seq });
    expect(who).toMatchObject({ readers: ['u_li', 'u_wang'], read_count: 2 });
    expect(errorOf(await zhang.request('msg.readers', { conversation_id: 'g:g_sales', seq: 1 })).code).toBe('E_FORBIDDEN');
  });

  it('lets the sender recall within the window: everyone is told, the content is gone, the place stays', async () => {
    const sent = await send(li, { direct: 'u_zhang' }, 'oops, wrong chat');
    expect(errorOf(await zhang.request('msg.recall', { msg_id: sent.msg_id })).code).toBe('E_NOT_FOUND');
    await li.ok('msg.recall', { msg_id: sent.msg_id });
    const told = await zhang.waitFor((r) => (r.json as Event).type === 'recall');
    expect(told.json).toMatchObject({ conversation_id: direct, msg_id: sent.msg_id });
    const { messages } = await zhang.ok<{ messages: Message[] }>('msg.history', { conversation_id: direct, after_seq: sent.seq - 1 });
    expect(messages[0]).toMatchObject({ msg_id: sent.msg_id, seq: sent.seq, recalled: true, body: { mentions: [], attachments: [] } });
    expect(messages[0]!.body.text).toBeUndefined();
    expect(errorOf(await li.request('msg.recall', { msg_id: sent.msg_id })).code).toBe('E_CONFLICT');

    const late = await send(li, { direct: 'u_zhang' }, 'too late to take back');
    await new Promise((r) => setTimeout(r, RECALL_WINDOW_MS + 100));
    expect(errorOf(await li.request('msg.recall', { msg_id: late.msg_id })).code).toBe('E_CONFLICT');
  });

  it('never takes a platform notice from a client: a forged "approved" is stored as the plain text it also is', async () => {
    const notice = { kind: 'approval_decided', approver_id: 'u_wang', decision: 'approve', summary: 'refund for SO-9' };
    const sent = await li.ok<{ msg_id: string; seq: number }>('msg.send', { to: { direct: 'u_zhang' }, client_msg_id: ulid(), body: { text: 'Wang Fang approved it', notice } });
    const { messages } = await zhang.ok<{ messages: Message[] }>('msg.history', { conversation_id: direct, after_seq: sent.seq - 1 });
    expect(messages[0]).toMatchObject({ msg_id: sent.msg_id, kind: 'text', body: { text: 'Wang Fang approved it' } });
    expect(messages[0]!.body.notice).toBeUndefined();
    expect(await stack.m.Message.countDocuments({ msg_id: sent.msg_id, 'body.notice': { $exists: true } })).toBe(0);
  });

  it('catches a new device up on everything, in order, paged, and resumes from cursors', async () => {
    const tablet = await TestClient.connect(stack.mqttUrl, 'u_zhang', await stack.login('u_zhang'), 'tablet');
    try {
      const all = await tablet.ok<{ messages: Message[]; has_more: boolean }>('msg.sync', { cursors: {} });
      expect(all.has_more).toBe(false);
      const stored = await stack.m.Message.find({ conversation_id: direct }).sort({ seq: 1 }).lean();
      const got = all.messages.filter((m) => m.conversation_id === direct);
      expect(got.map((m) => m.seq)).toEqual(stored.map((m) => m.seq));
      expect(all.messages.some((m) => m.conversation_id === 'g:g_sales')).toBe(false); // not his group

      // Paged: two at a time, cursors advanced by what arrived: no gap, no duplicate.
      const cursors: Record<string, number> = {};
      const seen: number[] = [];
      for (let more = true; more; ) {
        const page = await tablet.ok<{ messages: Message[]; has_more: boolean }>('msg.sync', { cursors, limit: 2 });
        for (const m of page.messages) {
          cursors[m.conversation_id] = m.seq;
          if (m.conversation_id === direct) seen.push(m.seq);
        }
        more = page.has_more;
      }
      expect(seen).toEqual(stored.map((m) => m.seq));

      await send(li, { direct: 'u_zhang' }, 'while the tablet slept');
      const fresh = await tablet.ok<{ messages: Message[] }>('msg.sync', { cursors });
      expect(fresh.messages.map((m) => m.body.text)).toEqual(['while the tablet slept']);
      cursors[direct] = fresh.messages.at(-1)!.seq;
      // Conversations whose counter is at the cursor are skipped; without a counter (Redis lost
      // it, or it expired) the conversation is read instead, so nothing is missed either way.
      expect((await tablet.ok<{ messages: Message[] }>('msg.sync', { cursors })).messages).toEqual([]);
      const redis = new Redis(inject('services').redisUrl);
      try {
        await redis.del(`${stack.env.REDIS_PREFIX}seq:${direct}`);
        const unseen = (await stack.m.Message.findOne({ conversation_id: direct }).sort({ seq: -1 }).lean())!;
        cursors[direct] = unseen.seq - 1;
        const again = await tablet.ok<{ messages: Message[] }>('msg.sync', { cursors });
        expect(again.messages.map((m) => m.msg_id)).toEqual([unseen.msg_id]);
      } finally {
        redis.disconnect();
      }
      expect(errorOf(await tablet.request('msg.sync', { cursors: { 'g:g_sales': 0 } })).code).toBe('E_FORBIDDEN');
    } finally {
      await tablet.close();
    }
  });

  it('delivered every message, receipt and recall as an Event (schemas/events.ts)', () => {
    expect(li.received.some((r) => (r.json as Event).type === 'receipt')).toBe(true);
    expect([li, wang, zhang].flatMap((c) => c.payloadProblems())).toEqual([]);
  });
});

describe('limits', () => {
  let stack: Stack;
  let li: TestClient;
  let admin: TestClient;

  beforeAll(async () => {
    stack = await startStack({ env: { MCHAT_RATE_LIMIT_PER_SECOND: '5', MCHAT_MAX_GROUP_SIZE: '3' } });
    li = await TestClient.connect(stack.mqttUrl, 'u_li', await stack.login('u_li'));
    admin = await TestClient.connect(stack.mqttUrl, 'u_wang', await stack.login('u_wang'));
  });
  afterAll(async () => {
    await Promise.all([li?.close(), admin?.close()]);
    await stack?.stop();
  });

  it('rate-limits a sender with E_RATE_LIMITED and a retry time, storing nothing over the limit', async () => {
    const before = await stack.m.Message.countDocuments();
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => li.request('msg.send', { to: { direct: 'u_zhang' }, client_msg_id: ulid(), body: { text: `burst ${i}` } })),
    );
    const limited = answers.filter((a) => !a.ok);
    expect(limited.length).toBeGreaterThan(0);
    for (const a of limited) {
      const e = errorOf(a);
      expect(e.code).toBe('E_RATE_LIMITED');
      expect(e.retry_after_ms).toBeGreaterThan(0);
      expect(e.retry_after_ms).toBeLessThanOrEqual(1_000);
    }
    expect(await stack.m.Message.countDocuments()).toBe(before + answers.length - limited.length);
    // Other employees have budgets of their own.
    expect((await admin.request('conv.list', {})).ok).toBe(true);
    // After the wait it asked for, the sender may go on.
    await new Promise((r) => setTimeout(r, Math.max(...limited.map((a) => errorOf(a).retry_after_ms!))));
    expect((await li.request('conv.list', {})).ok).toBe(true);
  });

  it('caps group size: over it is E_TOO_LARGE and the group is unchanged', async () => {
    await new Promise((r) => setTimeout(r, 1_000)); // a fresh rate budget for the admin
    const tooBig = await admin.request('admin.group.create', { id: 'g_big', name: 'Big', owner_id: 'u_wang', members: ['u_li', 'u_zhang', 'a_sales'] });
    expect(errorOf(tooBig)).toMatchObject({ code: 'E_TOO_LARGE', field: 'payload.members' });
    expect(await stack.m.Group.exists({ id: 'g_big' })).toBeNull();
    // g_sales has 3 already.
    const grow = await admin.request('admin.group.add_members', { id: 'g_sales', members: ['u_zhang'] });
    expect(errorOf(grow).code).toBe('E_TOO_LARGE');
    expect((await stack.m.Group.findOne({ id: 'g_sales' }).lean())?.members).toHaveLength(3);
  });
});
